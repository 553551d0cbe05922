#!/usr/bin/env bash
# The Python package, as a user installs it: a fresh virtual environment in a temporary
# folder, `pip install ./python` (pip fetches maturin from PyPI and builds the abi3 wheel
# with cargo, in release mode), then examples/python_quickstart.py, which checks its
# figures with assertions. Fails on the first error.
#
#   bash scripts/python-test.sh              # with python3 from PATH
#   PYTHON=python3.11 bash scripts/python-test.sh
#
# Needs Python >= 3.9 with venv, the Rust toolchain, and PyPI (maturin, pandas, numpy).
# CARGO_TARGET_DIR is honoured (the wheel build reuses its compiled crates); without it the
# build goes to python/target.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$SECONDS

echo "== $($python --version) venv in $work"
"$python" -m venv "$work/venv"
venv_python="$work/venv/bin/python"
"$venv_python" -m pip install -q --upgrade pip

echo "== pip install ./python"
if ! "$venv_python" -m pip install ./python >"$work/pip.log" 2>&1; then
    cat "$work/pip.log" >&2
    echo "python-test: pip install ./python failed" >&2
    exit 1
fi
# The optional progress bars (docs/python.md): the example's report draws them.
"$venv_python" -m pip install -q tqdm
"$venv_python" -m pip list 2>/dev/null | grep -iE '^(chokepoint|pandas|numpy|tqdm) '

echo "== examples/python_quickstart.py"
# From the repository root (the example names scenarios/…), against the installed package,
# not the source folder.
"$venv_python" examples/python_quickstart.py

echo "== python-test: ok in $((SECONDS - start)) s"
