#!/usr/bin/env bash
# Speed of the tool itself, median wall times on this machine (targets on a 2-core machine without
# a GPU): `fit --ctx 65536 --json` over the whole catalog, probing each run (50 ms); `fit plan`
# (30 ms); `fit probe` (20 ms). The first run builds the catalog cache and the compute-buffer memo
# (both are kept for the next runs of the same build) and is reported apart.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${FIT_BENCH_RUNS:-21}
swift build -c release --static-swift-stdlib --product fit >&2
bin=.build/release/fit
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
export FIT_CACHE_DIR="$cache"
us() { local s e; s=$(date +%s%N); "$bin" "$@" >/dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000 )); }
ms() { printf '%d.%03d ms' $(($1 / 1000)) $(($1 % 1000)); }
# median, min, max of `runs` timings of the given fit command
measure() {
  local times=() sorted
  for _ in $(seq "$runs"); do times+=("$(us "$@")"); done
  sorted=($(printf '%s\n' "${times[@]}" | sort -n))
  echo "median $(ms "${sorted[$(( runs / 2 ))]}"), min $(ms "${sorted[0]}"), max $(ms "${sorted[runs-1]}")"
}
cold=$(us --ctx 65536 --json)
rows=$("$bin" --ctx 65536 --json | grep -c '"verdict"')
echo "bench: fit --ctx 65536 --json, $rows builds, $runs runs: $(measure --ctx 65536 --json) (first run, building the cache: $(ms "$cold"))"
echo "bench: fit plan qwen3-coder:30b --ctx 64k, $runs runs: $(measure plan qwen3-coder:30b --ctx 64k)"
echo "bench: fit probe --json (the live probe alone), $runs runs: $(measure probe --json)"
echo "bench: fit --help (process start-up, the floor), $runs runs: $(measure --help)"
# The hardware micro-benchmark's own wall time (target: under 20 s on an idle 2-core machine).
data=$(mktemp -d)
trap 'rm -rf "$cache" "$data"' EXIT
hw=$(FIT_DATA_DIR="$data" "$bin" bench hardware --json | grep -o '"seconds" *: *[0-9.]*' | grep -o '[0-9.]*$')
echo "bench: fit bench hardware (once): ${hw} s"
