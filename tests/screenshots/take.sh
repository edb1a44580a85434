#!/usr/bin/env bash
# Screenshots of every window under Xvfb with a tray host: bash tests/screenshots/take.sh OUTDIR [LANG]
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-screenshots}"
lang="${2:-en}"
exec xvfb-run -a -s "-screen 0 1280x800x24" sh -c "
  trayer --edge top --align right --widthtype request --height 28 --transparent false &
  sleep 1
  PYTHONPATH=. .venv/bin/python tests/screenshots/take.py '$out' '$lang'
"
