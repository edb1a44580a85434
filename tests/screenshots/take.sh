#!/usr/bin/env bash
# Screenshots of every window, English and Italian, under Xvfb with a tray host:
#
#     bash tests/screenshots/take.sh [OUTDIR] [LANG...]
#
# OUTDIR defaults to resources/screenshots (the README's pictures), LANG to "en it".
# Every window (take.py), then the pages that need their own set-up: the account
# assistant with its OAuth2 sign-in (assistant.py, local test servers), the Rules tab
# (rules.py) and "send one by one" on its way (one_by_one.py).
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
    code=0
    for script in take assistant rules one_by_one; do
      PYTHONPATH=. .venv/bin/python tests/screenshots/\$script.py '$out' '$lang' || code=\$?
    done
    kill \$! 2>/dev/null
    exit \$code
  " 2>&1 | grep -v -e 'propagateSizeHints' -e 'does not support raise' || true
done
