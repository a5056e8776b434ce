#!/usr/bin/env bash
# Installs the Debian packages the project needs when they are missing.
# Kept idempotent and quiet so `make` can call it on every fresh install.
set -euo pipefail

need=()
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
# The web UI's tests drive Debian's Chromium through Playwright; Playwright's
# own browser download cannot work on a machine without general network access.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# The C extension agentreel._speedups (optional for users, built for the tests)
# needs a compiler and the headers of the Python the virtual environment uses.
command -v cc >/dev/null 2>&1 || need+=(gcc)
python3 -c 'import os, sysconfig
raise SystemExit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
    || need+=(python3-dev)

if ((${#need[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "agentreel: missing system packages: ${need[*]} (run as root or install them)" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
