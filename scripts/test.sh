#!/usr/bin/env bash
# The tests: set up .venv with the test requirements, make sure Chromium is there for the
# browser tests (installed with apt when running as root), lint, then run pytest.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m "not browser"`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements-test.txt
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing Debian's chromium for the browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "== /usr/bin/chromium not found: browser tests will be skipped (apt install chromium)"
  fi
fi
echo "== ruff"
.venv/bin/ruff check .
echo "== pytest"
# The support matrix's slow rows (keras.applications models, minutes each) are left out: run
# them with `bash scripts/test.sh -m slow` (a later -m wins), or scripts/support_matrix.py.
.venv/bin/python -m pytest -m "not slow" "$@"
