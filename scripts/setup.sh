#!/usr/bin/env bash
# Create .venv (Python 3.11) and install matcoder with its pinned stack.
# Idempotent and fast the second time: skips pip when pyproject.toml and this
# script are unchanged since the last successful install.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || { echo "setup: $PY not found (matcoder needs Python 3.11)" >&2; exit 2; }
[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=.venv/.matcoder-installed
want=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "setup: .venv is up to date"
    exit 0
fi
log=.venv/setup.log
echo "setup: installing into .venv (first time takes a few minutes; log in $log)"
pip_install() {
    .venv/bin/pip install --disable-pip-version-check "$@" >>"$log" 2>&1 || {
        tail -n 40 "$log" >&2; echo "setup: pip install $* failed (full log: $log)" >&2; exit 1; }
}
: >"$log"
pip_install --upgrade pip
# torch first, pinned: 2.13.0 is a CPU build on this machine's disk; a looser pin
# pulls a multi-GB CUDA build.
pip_install torch==2.13.0
pip_install -e '.[test]'
# Label Studio (the review server) in its own venv: it pins Django and friends.
[ -x .venv-labelstudio/bin/python ] || "$PY" -m venv .venv-labelstudio
ls_log=.venv-labelstudio/setup.log
: >"$ls_log"
for args in "--upgrade pip" "label-studio==1.23.2"; do
    # shellcheck disable=SC2086
    .venv-labelstudio/bin/pip install --disable-pip-version-check $args >>"$ls_log" 2>&1 || {
        tail -n 40 "$ls_log" >&2; echo "setup: pip install $args (Label Studio) failed (log: $ls_log)" >&2; exit 1; }
done
# Chromium renders the HTML report in the tests (headless). Debian's package; no
# test tool may download its own browser here.
if ! command -v chromium >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "setup: installing Debian's chromium (for the report rendering test)"
        { apt-get install -y --no-install-recommends chromium || { apt-get update && apt-get install -y --no-install-recommends chromium; }; } >>"$log" 2>&1 || {
            tail -n 20 "$log" >&2; echo "setup: apt-get install chromium failed" >&2; exit 1; }
    else
        echo "setup: warning: chromium is not installed (the report rendering test needs it: apt-get install chromium)" >&2
    fi
fi
echo "$want" > "$stamp"
echo "setup: done"
