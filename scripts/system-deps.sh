#!/usr/bin/env bash
# Installs the Debian packages the project needs when they are missing.
# Kept idempotent and quiet so `make` can call it on every fresh install.
set -euo pipefail

need=()
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
# The web UI's tests drive Debian's Chromium through Playwright; Playwright's
# own browser download cannot work on a machine without general network access.
command -v chromium >/dev/null 2>&1 || need+=(chromium)

if ((${#need[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "agentreel: missing system packages: ${need[*]} (run as root or install them)" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
