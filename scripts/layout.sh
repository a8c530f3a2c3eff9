#!/usr/bin/env bash
# layout.sh: checks that the code keeps the shape docs/architecture.md describes (run by
# `make test`; `scripts/layout.sh` alone prints what is wrong and exits 1):
#   - no source file (.c, .h, in the stages, cli/ and tests/) over 800 lines;
#   - no folder (stages and tests/) with more than 15 .c files;
#   - no include that runs backwards along the journey: each folder includes only the
#     folders of the FLOORS table below (a quoted include must name a header of one of them);
#   - no two headers with the same name (every folder is on the include path).
set -uo pipefail
cd "$(dirname "$0")/.."

# folder: the folders its files may include, besides itself (docs/architecture.md, "Floors").
declare -A FLOORS=(
  [reference-data]="common/status.h"
  [common]="reference-data"
  [common/http]="common reference-data"
  [collector]="common common/http reference-data"
  [aggregator]="common common/http reference-data"
  [exporters/publish]="common common/http reference-data"
  [exporters/sheet]="common common/http reference-data"
  [exporters/sdmx]="common common/http reference-data aggregator exporters/publish"
  [exporters/html]="common common/http reference-data aggregator exporters/publish"
  [web]="common common/http reference-data collector aggregator exporters/html"
  [demo]="common reference-data"
  [cli]="common common/http reference-data collector aggregator exporters/sdmx exporters/html exporters/publish exporters/sheet web demo"
)
MAX_LINES=800
MAX_C_FILES=15
bad=0
say() { echo "layout: $*" >&2; bad=1; }

# Where each header lives.
declare -A HOME_OF=()
for dir in "${!FLOORS[@]}"; do
  for h in "$dir"/*.h; do
    [ -e "$h" ] || continue
    name=$(basename "$h")
    if [ -n "${HOME_OF[$name]:-}" ]; then
      say "two headers named $name: ${HOME_OF[$name]}/$name and $h"
    fi
    HOME_OF[$name]=$dir
  done
done

for dir in "${!FLOORS[@]}"; do
  [ -d "$dir" ] || { say "folder $dir is missing (update scripts/layout.sh and docs)"; continue; }
  n=$(find "$dir" -maxdepth 1 -name '*.c' | wc -l)
  [ "$n" -le "$MAX_C_FILES" ] || say "$dir holds $n .c files (at most $MAX_C_FILES: cut it by concern)"
  for f in "$dir"/*.c "$dir"/*.h; do
    [ -e "$f" ] || continue
    while IFS= read -r inc; do
      home=${HOME_OF[$inc]:-}
      if [ -z "$home" ]; then
        [ -e "$(dirname "$f")/$inc" ] || say "$f includes \"$inc\", which is no header of a stage"
        continue
      fi
      [ "$home" = "$dir" ] && continue
      ok=0
      for allowed in ${FLOORS[$dir]}; do
        [ "$allowed" = "$home" ] || [ "$allowed" = "$home/$inc" ] && ok=1
      done
      [ "$ok" -eq 1 ] || say "$f includes $home/$inc: $dir may include only ${FLOORS[$dir]}"
    done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
  done
done

# Stage folders not in the table (a new folder must say where it stands).
for d in $(find common reference-data collector aggregator exporters web demo cli -type d 2>/dev/null); do
  ls "$d"/*.c >/dev/null 2>&1 || continue
  [ -n "${FLOORS[$d]+x}" ] || say "folder $d has C files but no floor in scripts/layout.sh"
done

# The tests mirror the stages (tests/unit/<stage>/, tests/integration/<stage>/): the same
# bound on each of their folders.
for d in $(find tests/unit tests/integration tests/fuzz -type d 2>/dev/null); do
  n=$(find "$d" -maxdepth 1 -name '*.c' | wc -l)
  [ "$n" -le "$MAX_C_FILES" ] || say "$d holds $n .c files (at most $MAX_C_FILES: file them by stage)"
done

while IFS= read -r f; do
  n=$(wc -l < "$f")
  [ "$n" -le "$MAX_LINES" ] || say "$f has $n lines (at most $MAX_LINES: cut it by concern)"
done < <(git ls-files '*.c' '*.h')

[ "$bad" -eq 0 ] && echo "layout: ok"
exit "$bad"
