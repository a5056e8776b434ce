"""``agentreel ui`` serves the web UI on the local store, on 127.0.0.1."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from .conftest import Reel

# The command as the console script will run it once it is registered.
_RUN = "import sys; from agentreel.cli._ui_cmd import ui; ui.main(sys.argv[1:])"


def test_ui_command_prints_the_url_and_serves_the_store(reel: Reel, tmp_path: Path) -> None:
    command = [sys.executable, "-c", _RUN, "--db", str(reel.db), "--port", "0", "--no-open"]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path
    ) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            found = re.match(
                r"agentreel ui: (http://127\.0\.0\.1:\d+/) on (.+) \(Ctrl-C stops\)", line
            )
            assert found, line
            url = found.group(1)
            assert found.group(2).endswith("reel.db")
            page = None
            for _ in range(100):
                try:
                    page = httpx.get(url, timeout=1)
                    break
                except httpx.TransportError:
                    assert proc.poll() is None, "agentreel ui exited"
                    time.sleep(0.1)
            assert page is not None and page.status_code == 200
            assert "/ui/js/app.js" in page.text
            assert "default-src 'self'" in page.headers["content-security-policy"]
            sessions = httpx.get(url + "api/sessions", params={"q": "fix-divide"}).json()
            assert {s["name"] for s in sessions["sessions"]} == {"fix-divide-by-zero"}
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def test_ui_command_says_when_the_port_is_taken(reel: Reel) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-c", _RUN, "--db", str(reel.db), "--port", str(port), "--no-open"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "--port 0" in done.stderr
