"""``agentreel attach``: steer a live agent from another terminal.

Finds the process recording a session through the control sockets beside the
store, or with ``--server URL`` among the processes linked to an ``agentreel
serve`` (an agent on another machine), sets breakpoints in it, and whenever a
step pauses shows it and asks what to do: continue, step, skip, edit its
input, or abort the run. Leaving (``quit``, end of input, Ctrl-C twice)
resumes what this controller paused.
"""

from __future__ import annotations

import cmd
import json
import sys
import time
from typing import IO, Any

import click
from rich.text import Text

from agentreel.hooks import (
    ControlClient,
    ControlError,
    LiveProcess,
    ServerControlClient,
    control_dir,
    linked_processes,
)
from agentreel.hooks import live_processes as _live_processes

from ._context import CliContext, get_context
from ._style import short_id

__all__ = ["ATTACH_COMMANDS", "AttachShell", "attach"]

#: The prompt's commands in the order ``help`` lists them, with their abbreviations.
ATTACH_COMMANDS: dict[str, tuple[str, ...]] = {
    "show": ("w",),
    "input": ("i",),
    "context": ("ctx",),
    "continue": ("c", "cont"),
    "step": ("s",),
    "skip": (),
    "edit": ("e",),
    "abort": (),
    "break": ("b",),
    "clear": ("cl",),
    "pauses": (),
    "help": ("h", "?"),
    "quit": ("q", "detach"),
}
_ALIASES = {a: name for name, aliases in ATTACH_COMMANDS.items() for a in aliases}
_POLL = 0.2


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


class AttachShell(cmd.Cmd):
    """The prompt shown while a step is paused; between pauses it waits for the next."""

    def __init__(
        self,
        client: ControlClient | ServerControlClient,
        cli: CliContext,
        stdin: IO[str],
        on_pause: str | None = None,
    ) -> None:
        self.console = cli.console
        super().__init__(stdin=stdin, stdout=self.console.file)
        self.client = client
        self.on_pause = on_pause
        self.use_rawinput = stdin.isatty() and self.console.file.isatty()
        self.pending: dict[int, dict[str, Any]] = {}
        self.pause: dict[str, Any] | None = None
        self.detached = False
        for paused in client.hello.get("pauses") or []:
            self.pending[int(paused["pause"])] = paused

    def _say(self, text: str = "", style: str = "") -> None:
        # Text, never markup: names and inputs come from the agent, hostile content.
        self.console.print(Text(text, style=style), soft_wrap=True, highlight=False)

    # -- the outer loop: wait for a pause, ask about it --------------------------------------

    def run(self) -> int:
        hello = self.client.hello
        names = ", ".join(
            f"{s.get('name')} ({short_id(str(s.get('id')))})" for s in hello.get("sessions") or []
        )
        self._say(
            f"Attached to pid {hello.get('pid')} ({hello.get('program')})"
            + (f", recording {names}" if names else "")
            + f". Paused steps resume by themselves after {hello.get('pause_timeout'):g} s."
        )
        self._list_breakpoints()
        while not self.detached:
            pause = self._next_pause()
            if pause is None:
                break
            self.pause = pause
            self._show(pause)
            if self.on_pause is not None:
                self._resolve(self.on_pause)
                continue
            self.prompt = f"(attach #{pause['step']} {pause['kind']} {pause['name']}) "
            self.cmdloop()
        if self.detached:
            self._say("Detached; what this controller paused resumes.")
        return 0

    def _next_pause(self) -> dict[str, Any] | None:
        interrupted = False
        self._say("Waiting for a step to pause (Ctrl-C: pause before the next step).", "dim")
        while not self.pending:
            try:
                event = self.client.next_event(_POLL)
            except KeyboardInterrupt:
                if interrupted:
                    self.detached = True
                    return None
                interrupted = True
                self._request("interrupt")
                self._say("Pausing before the next step (Ctrl-C again detaches).")
                continue
            if event is None:
                continue
            if event.get("type") == "closed":
                self._say("The agent process ended.")
                return None
            self._track(event)
        return self.pending[min(self.pending)]

    def _track(self, event: dict[str, Any]) -> None:
        what = event.get("event")
        pause = event.get("pause") or {}
        if what == "paused":
            self.pending[int(pause["pause"])] = pause
        elif what == "resumed":
            self.pending.pop(int(pause.get("pause", 0)), None)
            if self.pause is not None and pause.get("pause") == self.pause.get("pause"):
                by = event.get("by") or "someone else"
                self._say(f"Step {pause.get('step')} resumed ({event.get('action')}, by {by}).")

    def _drain(self) -> None:
        while (event := self.client.next_event(0)) is not None:
            if event.get("type") == "closed":
                break
            self._track(event)

    def _show(self, pause: dict[str, Any]) -> None:
        self._say(
            f"Paused before #{pause['step']} {pause['kind']} {pause['name']} "
            f"in {pause.get('session_name')} ({short_id(str(pause.get('session_id')))}): "
            f"{pause.get('reason')}; resumes by itself ({pause.get('on_timeout')}) "
            f"in {pause.get('resumes_in_s', 0):.0f} s",
            "bold",
        )
        self._say("input: " + _json(pause.get("input")))

    def _request(self, op: str, **args: Any) -> Any:
        try:
            return self.client.request(op, **args)
        except ControlError as exc:
            self._say("*** " + str(exc))
            return None

    def _resolve(self, action: str, new_input: Any = None) -> bool:
        """Resolve the current pause; True when the prompt is done with it."""
        assert self.pause is not None
        number = int(self.pause["pause"])
        try:
            self.client.resolve(number, action, new_input)
        except ControlError as exc:
            self._say("*** " + str(exc))
            if exc.code != "no_such_pause":
                return False
        else:
            self._say(f"{action}: step {self.pause['step']}")
        self.pending.pop(number, None)
        self.pause = None
        self._drain()
        return True

    # -- the prompt ----------------------------------------------------------------------------

    def precmd(self, line: str) -> str:
        if not self.use_rawinput and line != "EOF":
            self.stdout.write(line + "\n")
        return line

    def emptyline(self) -> bool:
        return False

    def onecmd(self, line: str) -> bool:
        name, arg, line = self.parseline(line)
        if not line:
            return False
        if line == "EOF":
            self.stdout.write("\n")
            self.detached = True
            return True
        handler = getattr(self, f"do_{_ALIASES.get(name or '', name)}", None)
        if handler is None:
            self._say(f"*** unknown command {line.split()[0]!r}; `help` lists the commands")
            return False
        return bool(handler((arg or "").strip()))

    def do_show(self, arg: str) -> None:
        """Show the paused step again, with its input."""
        if self.pause is not None:
            self._show(self.pause)

    def do_input(self, arg: str) -> None:
        """Print the paused step's input as JSON."""
        if self.pause is not None:
            result = self._request("input", pause=self.pause["pause"])
            if result is not None:
                self._say(_json(result.get("input")))

    def do_context(self, arg: str) -> None:
        """Print the model context at this step: the conversation the model gets (or got)."""
        if self.pause is None:
            return
        ctx = self._request("context", pause=self.pause["pause"])
        if ctx is None:
            return
        if ctx.get("call") is None:
            self._say("No model call comes at or before this step.")
            return
        self._say(f"model call #{ctx['call']} input:", "bold")
        self._say(_json(ctx.get("input")))
        if ctx.get("call") != ctx.get("step"):
            self._say(f"model call #{ctx['call']} reply:", "bold")
            self._say(_json(ctx.get("reply")))

    def do_continue(self, arg: str) -> bool:
        """Run the step as it is; wait for the next pause."""
        return self._resolve("continue")

    def do_step(self, arg: str) -> bool:
        """Run the step, and pause before the next one (of any kind)."""
        return self._resolve("step")

    def do_skip(self, arg: str) -> bool:
        """Do not run the step: its caller gets StepVetoed (recorded as a veto)."""
        return self._resolve("skip")

    def do_edit(self, arg: str) -> bool:
        """Run the step with a new input: `edit {"path": "b.txt"}` (no JSON: opens $EDITOR).

        For a tool the input is its arguments by name (those given replace the
        caller's); for a model call, the request fields to change.
        """
        if self.pause is None:
            return False
        text = arg
        if not text:
            text = click.edit(_json(self.pause.get("input")), extension=".json") or ""
        try:
            new_input = json.loads(text)
        except ValueError as exc:
            self._say(f"*** edit needs the new input as JSON: {exc}")
            return False
        if new_input is None:
            self._say("*** edit needs a new input, not null")
            return False
        return self._resolve("edit", new_input)

    def do_abort(self, arg: str) -> bool:
        """End the run here: the agent gets RunAborted before this step runs."""
        return self._resolve("abort")

    def do_break(self, arg: str) -> None:
        """Set a breakpoint in the agent: `break tool:write_*`, `break if cost > 0.01`.

        With no spec, list the breakpoints. Specs are those of `agentreel debug`
        (`help break` there lists the fields); a condition reads the step's
        input, never its output (it has not run yet).
        """
        if not arg:
            self._list_breakpoints()
            return
        bp = self._request("break", spec=arg)
        if bp is not None:
            self._say(f"Breakpoint {bp['number']}: {bp['spec']}")

    def do_clear(self, arg: str) -> None:
        """Remove breakpoint N: `clear 2`."""
        if not arg.isdigit():
            self._say("*** clear needs a breakpoint number, for example: clear 1")
            return
        if self._request("clear", breakpoint=int(arg)) is not None:
            self._say(f"Cleared breakpoint {arg}.")

    def do_pauses(self, arg: str) -> None:
        """List every step paused in the agent (several threads may be paused)."""
        for p in self._request("pauses") or []:
            self._say(f"pause {p['pause']}: #{p['step']} {p['kind']} {p['name']} ({p['reason']})")

    def do_help(self, arg: str) -> None:
        """List the commands, or explain one: `help edit`."""
        name = _ALIASES.get(arg, arg)
        if name in ATTACH_COMMANDS:
            self._say((getattr(self, f"do_{name}").__doc__ or "").strip())
            return
        for command, aliases in ATTACH_COMMANDS.items():
            doc = (getattr(self, f"do_{command}").__doc__ or "").splitlines()[0]
            self._say(f"{', '.join((command, *aliases)):<20} {doc}")

    def do_quit(self, arg: str) -> bool:
        """Detach: steps this controller paused resume, its breakpoints are removed."""
        self.detached = True
        return True

    def _list_breakpoints(self) -> None:
        for bp in self._request("breakpoints") or []:
            self._say(f"Breakpoint {bp['number']}: {bp['spec']} (set by {bp['owner']})")


def _find(directory: Any, session: str | None, pid: int | None, wait: float) -> LiveProcess:
    deadline = time.monotonic() + wait
    while True:
        found = _live_processes(directory)
        if pid is not None:
            found = [p for p in found if p.pid == pid]
        if session is not None:
            found = [
                p
                for p in found
                if any(
                    str(s.get("id", "")).startswith(session) or s.get("name") == session
                    for s in p.sessions
                )
            ]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            return _several(found)
        if time.monotonic() >= deadline:
            what = f"recording session {session!r}" if session else "with the control channel on"
            raise ControlError(
                f"no live agentreel process {what} in {directory}; a process can be attached "
                "once it calls agentreel.breakpoint() or agentreel.hooks.start_control()"
            )
        time.sleep(_POLL)


def _find_linked(
    server: str, api_key: str | None, session: str | None, pid: int | None, wait: float
) -> dict[str, Any]:
    """The one process linked to ``server`` that matches, as the server lists it."""
    deadline = time.monotonic() + wait
    while True:
        found = linked_processes(server, api_key)
        if pid is not None:
            found = [p for p in found if p.get("pid") == pid]
        if session is not None:
            found = [
                p
                for p in found
                if any(
                    str(s.get("id", "")).startswith(session) or s.get("name") == session
                    for s in p.get("sessions") or ()
                )
            ]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            console = get_context().console
            for p in found:
                names = ", ".join(
                    f"{s.get('name')} {short_id(str(s.get('id')))}" for s in p.get("sessions") or ()
                )
                line = f"pid {p.get('pid')} on {p.get('host')}: {names or 'no session yet'}"
                console.print(Text(line), highlight=False)
            raise ControlError(
                f"{len(found)} agent processes are linked to {server}; name a SESSION or give --pid"
            )
        if time.monotonic() >= deadline:
            what = f"recording session {session!r}" if session else "with the control channel on"
            if pid is not None:
                what += f" with pid {pid}"
            raise ControlError(
                f"no agent process {what} is linked to {server}; an agent links when it sends "
                "to the server (agentreel.configure(endpoint=...)) with its control channel on "
                "(a breakpoint, control=True or AGENTREEL_CONTROL=1)"
            )
        time.sleep(_POLL)


def _several(found: list[LiveProcess]) -> LiveProcess:
    console = get_context().console
    for p in found:
        names = ", ".join(f"{s.get('name')} {short_id(str(s.get('id')))}" for s in p.sessions)
        console.print(Text(f"pid {p.pid}: {names or 'no session yet'}"), highlight=False)
    raise ControlError(f"{len(found)} agentreel processes are live; name a SESSION or give --pid")


@click.command("attach")
@click.argument("session", required=False, metavar="[SESSION]")
@click.option(
    "--break",
    "breaks",
    multiple=True,
    metavar="SPEC",
    help="Set a breakpoint in the agent (repeatable); the specs of `agentreel debug`.",
)
@click.option(
    "--on-pause",
    type=click.Choice(["continue", "step", "skip", "abort"]),
    help="Resolve every pause this way without asking, after printing the step (for scripts).",
)
@click.option("--pid", type=int, help="Attach to the process with this pid.")
@click.option(
    "--wait",
    type=float,
    default=0.0,
    metavar="SECONDS",
    help="Wait up to SECONDS for the process to appear.  [default: 0]",
)
@click.option("--db", metavar="PATH", help="The store whose control/ directory to look in.")
@click.option(
    "--server",
    metavar="URL",
    help="Attach through an agentreel serve the agent is linked to (an agent on another "
    "machine), instead of a local control socket.",
)
@click.option(
    "--api-key",
    envvar="AGENTREEL_API_KEY",
    metavar="KEY",
    help="The API key, for a server running with --auth [env: AGENTREEL_API_KEY].",
)
def attach(
    session: str | None,
    breaks: tuple[str, ...],
    on_pause: str | None,
    pid: int | None,
    wait: float,
    db: str | None,
    server: str | None,
    api_key: str | None,
) -> int:
    """Attach to a live agent: set breakpoints, and continue, step, skip, edit or
    abort the steps that pause.

    SESSION is a session id (or unique prefix) or name being recorded by the
    process; without it, the only live process. Leaving resumes what this
    controller paused and removes its breakpoints.
    """
    cli = get_context()
    if server is not None:
        linked = _find_linked(server, api_key, session, pid, wait)
        remote = ServerControlClient(
            server, str(linked["id"]), api_key=api_key, name="agentreel attach"
        )
        with remote:
            for spec in breaks:
                remote.request("break", spec=spec)
            return AttachShell(remote, cli, sys.stdin, on_pause).run()
    directory = control_dir(db or cli.db_location)
    process = _find(directory, session, pid, wait)
    with ControlClient(process.path, name="agentreel attach") as client:
        for spec in breaks:
            client.request("break", spec=spec)
        shell = AttachShell(client, cli, sys.stdin, on_pause)
        return shell.run()
