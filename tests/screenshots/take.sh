#!/usr/bin/env bash
# Screenshots of every window, English and Italian, under Xvfb with a tray host:
#
#     bash tests/screenshots/take.sh [OUTDIR] [LANG...]
#
# OUTDIR defaults to resources/screenshots (the README's pictures), LANG to "en it".
# Needs xvfb-run and trayer (Debian: xvfb, trayer). Review each picture with
# tests/screenshots/REVIEW.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-resources/screenshots}"
shift || true
langs="${*:-en it}"
for lang in $langs; do
  xvfb-run -a -s "-screen 0 1280x800x24" sh -c "
    trayer --edge top --align right --widthtype request --height 28 --transparent false &
    sleep 1
    PYTHONPATH=. .venv/bin/python tests/screenshots/take.py '$out' '$lang'
    code=\$?
    kill \$! 2>/dev/null
    exit \$code
  " 2>&1 | grep -v -e 'propagateSizeHints' -e 'does not support raise' || true
done
