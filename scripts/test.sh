#!/usr/bin/env bash
# Set up, then run the static checks (ruff, mypy), the whole test suite twice (native
# kernel, then the pure Python/torch path forced), the third-party plugin package's own
# tests, and a check that a plain (non-editable) wheel of asdkit builds.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PY=.venv/bin/python
pip() {
  $PY -m pip --disable-pip-version-check "$@" 2>&1 | { grep -v "is ignored: it is neither" || true; }
  return "${PIPESTATUS[0]}"
}
pip install -q ./plugins/asdkit-extras
echo "== static checks (ruff: style, unused arguments, likely bugs; mypy: types of asdkit/)"
.venv/bin/ruff check asdkit tests benchmarks plugins
.venv/bin/mypy
echo "== test suite (native kernel)"
$PY -m pytest -q -p no:cacheprovider tests
echo "== test suite (ASDKIT_PURE_PYTHON=1)"
ASDKIT_PURE_PYTHON=1 $PY -m pytest -q -p no:cacheprovider tests
echo "== plugin package tests"
$PY -m pytest -q -p no:cacheprovider plugins/asdkit-extras/tests
echo "== non-editable wheel builds"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pip wheel -q --no-deps -w "$tmp" .
ls "$tmp"/asdkit-*.whl
