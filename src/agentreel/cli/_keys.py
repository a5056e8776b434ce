"""``agentreel keys``: the API keys an ``agentreel serve --auth`` accepts.

Keys live in the reel database (hashed); a key belongs to one project, and
everything sent or read with it stays in that project.
"""

from __future__ import annotations

import click
from rich import box
from rich.table import Table
from rich.text import Text

from agentreel.errors import NotFound

from ._context import get_context
from ._format import format_timestamp, iso_utc
from ._jsonout import print_json

__all__ = ["keys"]


@click.group("keys")
def keys() -> None:
    """Create, list and revoke the API keys of ``agentreel serve --auth``."""


@keys.command("create")
@click.option("--project", required=True, help="The project the key reads and writes.")
@click.option("--name", required=True, help="What the key is for (shown by `keys ls`).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def create(project: str, name: str, as_json: bool) -> None:
    """Create a key and print its secret, this once."""
    cli = get_context()
    store = cli.open_store(create=True)
    key_id, secret = store.create_api_key(project, name)
    if as_json:
        print_json(cli.console, {"id": key_id, "project": project, "name": name, "secret": secret})
        return
    cli.err_console.print(
        Text(
            f"Created key {key_id} ({name!r}) for project {project!r} in {store.location}. "
            "Its secret is shown once; keep it now:"
        ),
        soft_wrap=True,
    )
    # The secret alone on standard output, so `$(agentreel keys create ...)` captures it.
    cli.console.print(Text(secret), soft_wrap=True)


@keys.command("ls")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def ls_keys(as_json: bool) -> None:
    """List the keys, revoked ones too (never their secrets)."""
    cli = get_context()
    found = cli.open_store().list_api_keys()
    if as_json:
        rows = [
            {
                "id": k.id,
                "project": k.project,
                "name": k.name,
                "created_at": iso_utc(k.created_at),
                "revoked_at": iso_utc(k.revoked_at),
            }
            for k in found
        ]
        print_json(cli.console, {"keys": rows})
        return
    if not found:
        cli.console.print(
            Text("No API keys yet. Create one with `agentreel keys create --project P --name N`."),
            soft_wrap=True,
        )
        return
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in ("id", "project", "name", "created", "status"):
        table.add_column(column, no_wrap=True)
    for k in found:
        status = (
            Text("active", style="green")
            if k.revoked_at is None
            else Text(f"revoked {format_timestamp(k.revoked_at, cli.tz)}", style="red")
        )
        table.add_row(
            k.id, Text(k.project), Text(k.name), format_timestamp(k.created_at, cli.tz), status
        )
    cli.console.print(table)


@keys.command("revoke")
@click.argument("key_id", metavar="ID")
def revoke(key_id: str) -> None:
    """Revoke a key: requests carrying it are refused from now on."""
    cli = get_context()
    if not cli.open_store().revoke_api_key(key_id):
        raise NotFound(f"there is no API key {key_id!r}; `agentreel keys ls` lists them")
    cli.console.print(Text(f"Revoked key {key_id}."))
