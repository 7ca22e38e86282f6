#!/usr/bin/env bash
# Regenerates the sample reports under Reports/samples/ (HTML, Markdown, JSON, and a screenshot of
# the HTML when headless Chromium is installed). The tests fail when the code would write anything
# else, so run this after a change that is meant to change reports, and review the diff.
#   scripts/sample-reports.sh            # uses .build/debug/fit (builds it if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
fit=${FIT_BINARY:-.build/debug/fit}
[ -x "$fit" ] || swift build --product fit >&2
out=Reports/samples
mkdir -p "$out"
# No measurements of this machine leak into the samples.
export FIT_DATA_DIR=$(mktemp -d)
trap 'rm -rf "$FIT_DATA_DIR"' EXIT
while IFS='|' read -r name args; do
  [ -z "$name" ] && continue
  eval "set -- $args"   # machines.txt quotes arguments as a shell would
  for fmt in html md json; do
    "$fit" report --format "$fmt" --date 2026-11-21 --redact "$@" -o "$out/$name.$fmt" >/dev/null
  done
  if command -v chromium >/dev/null 2>&1; then
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1000,3000 \
      --screenshot="$out/$name.png" "file://$PWD/$out/$name.html" >/dev/null 2>&1 || echo "screenshot of $name failed" >&2
  fi
  echo "$out/$name.{html,md,json}"
done < Reports/samples/machines.txt
