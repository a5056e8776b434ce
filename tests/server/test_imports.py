"""The supervisor of ``agentreel serve --workers N`` can stay small: the server
package, its settings and the worker factory's names load without the app."""

from __future__ import annotations

import subprocess
import sys

_APP_MODULES = ("fastapi", "pydantic", "prometheus_client", "agentreel.server._app")


def _loaded_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True, timeout=120
    ).stdout
    return set(out.split())


def test_settings_and_factory_names_do_not_load_the_app() -> None:
    loaded = _loaded_after(
        "from agentreel.server import DEFAULT_PORT, ServerSettings, check_bind\n"
        "from agentreel.server._factory import ENV_CONFIG, FACTORY, config_env"
    )
    assert not loaded.intersection(_APP_MODULES), sorted(loaded.intersection(_APP_MODULES))


def test_create_app_loads_on_first_use() -> None:
    loaded = _loaded_after("from agentreel.server import create_app")
    assert loaded.issuperset(_APP_MODULES)
    from agentreel.server import _app, create_app

    assert create_app is _app.create_app
