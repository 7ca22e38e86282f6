#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser of input fit does not control, with libFuzzer and
# AddressSanitizer (leak checks on). Each target starts from the fixtures as seeds.
#   scripts/fuzz.sh [SECONDS] [TARGET...]      default: 30 s for each of the ten targets
#   FIT_FUZZ_RUNS=N scripts/fuzz.sh S gguf     N executions, or S seconds if sooner (S = 0: no time limit)
# Prints one line per target (executions, executions/s, corpus size); exits 1 on the first crash
# or leak, with the input saved under .build/fuzz/artifacts/ (replay it: .build/debug/fit-fuzz TARGET FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
shift || true
all=(gguf config safetensors-index safetensors-header machine fleet nvidia-smi catalog endpoint ollama)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")
scratch=.build/fuzz
# `--sanitize fuzzer` alone links libFuzzer but leaves the Swift libraries without coverage
# counters (the fuzzer then sees nothing): -sanitize=fuzzer goes to every Swift module too.
flags=(-c release --scratch-path "$scratch" --sanitize fuzzer --sanitize address -Xswiftc -sanitize=fuzzer
  -Xswiftc -DFIT_FUZZING)
swift build "${flags[@]}" --product fit-fuzz >&2
bin=$(swift build "${flags[@]}" --show-bin-path)/fit-fuzz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$scratch/artifacts"

seeds() { # the fixtures each target starts from
  case $1 in
    gguf) ls Tests/Fixtures/gguf/*.gguf Tests/Fixtures/hostile/gguf/*.gguf Tests/Fixtures/hostile/*.gguf ;;
    config) ls Tests/Fixtures/hf/*/config.json Tests/Fixtures/hostile/hf/*/config.json ;;
    safetensors-index) find Tests/Fixtures -name '*.index.json' ;;
    safetensors-header) ls Tests/Fixtures/fuzz/safetensors/* ;;
    machine) ls Probes/machines/*.json Tests/Fixtures/hostile/machine/*.json ;;
    fleet) ls Tests/Fixtures/fuzz/fleet/*.json ;;
    nvidia-smi) find Probes/fixtures -path '*commands/nvidia-smi/*.stdout' ;;
    catalog) ls Catalog/models/*.yaml Catalog/hardware/*.yaml ;;
    endpoint) ls Tests/Fixtures/fuzz/endpoint/* ;;
    ollama) ls Tests/Fixtures/fuzz/ollama/* ;;
  esac
}
maxlen() { case $1 in gguf) echo 2000000 ;; catalog) echo 4096 ;; *) echo 65536 ;; esac; }

for t in "${targets[@]}"; do
  corpus="$work/$t"
  mkdir -p "$corpus"
  i=0
  while read -r f; do cp "$f" "$corpus/seed-$i"; i=$((i + 1)); done < <(seeds "$t")
  limit=(-max_total_time="$secs")
  # FIT_FUZZ_RUNS=N: stop after N executions (and after SECONDS, when that is not 0)
  if [ -n "${FIT_FUZZ_RUNS:-}" ]; then
    limit=(-runs="$FIT_FUZZ_RUNS")
    [ "$secs" != 0 ] && limit+=(-max_total_time="$secs")
  fi
  log="$work/$t.log"
  set +e
  FIT_FUZZ_TARGET=$t "$bin" "${limit[@]}" -max_len="$(maxlen "$t")" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$scratch/artifacts/$t-" "$corpus" >"$log" 2>&1
  status=$?
  set -e
  execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo 0)
  rate=$(grep -Eo 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo 0)
  cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
  echo "fuzz: $t: $execs executions ($rate/s), coverage $cov edges, $(ls "$corpus" | wc -l) inputs in the corpus, $i seeds"
  if [ "$status" != 0 ]; then
    grep -E 'ERROR|SUMMARY|Fatal error|==[0-9]+==' "$log" | head -20 >&2
    echo "fuzz: $t FAILED (exit $status); the input is under $scratch/artifacts/" >&2
    exit 1
  fi
done
