#!/usr/bin/env python3
"""Write GGUF files in the exact shape of real architectures, with zero (sparse) tensor data.

The header, metadata and tensor table are what llama.cpp (vendored in llama-cpp-python 0.3.36,
commit 0c1e57098) expects for each architecture: same arch name, same metadata keys, same tensor
names and shapes as convert_hf_to_gguf.py would produce. Tensor data is left as a hole: the file is
extended to its full size with truncate(), so a 30B-shaped file costs no disk.

Shapes come from Catalog/models/*.yaml (architecture blocks); the few facts the catalog does not
carry (rope base, eps, the unused config intermediate_size of all-MoE models, ...) are written
as in the published GGUFs.

Usage:
  make_gguf.py --list
  make_gguf.py [--out DIR] [--only ID[,ID...]] [--quantize-bin PATH]
Writes DIR/<id>.<MIX>.gguf and DIR/manifest.json (tensorBytes, file type, mix description).
Default DIR: $LLAMACPP_WORK/gguf (LLAMACPP_WORK defaults to /work/llamacpp-work).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import yaml
import gguf
from gguf import GGMLQuantizationType as Q, LlamaFileType as FT, MODEL_TENSOR as T, TENSOR_NAMES

REPO = Path(__file__).resolve().parents[2]
WORK = Path(os.environ.get("LLAMACPP_WORK", "/work/llamacpp-work"))


def catalog() -> dict[str, dict]:
    out = {}
    for f in sorted((REPO / "Catalog" / "models").glob("*.yaml")):
        for m in yaml.safe_load(f.read_text()).get("models", []):
            out[m["id"]] = m
    return out


# ----------------------------------------------------------------------------- tensor table

def tname(t: T, bid: int | None = None, suffix: str | None = "weight") -> str:
    base = TENSOR_NAMES[t].format(bid=bid) if bid is not None else TENSOR_NAMES[t]
    return f"{base}.{suffix}" if suffix else base


class Table:
    """Collects (name, ne, kind). kind: 'norm' (always F32), 'f32' (always F32), 'embd', 'out',
    'router' (F32), 'expert', 'w' (an ordinary 2-D weight), with the layer index for recipes."""

    def __init__(self):
        self.rows: list[tuple[str, tuple[int, ...], str, int | None]] = []

    def add(self, name: str, ne: tuple[int, ...], kind: str = "w", layer: int | None = None):
        self.rows.append((name, tuple(int(x) for x in ne), kind, layer))


def add_qkv(t: Table, i: int, n_embd: int, nq: int, nk: int, nv: int, bias: bool = False):
    t.add(tname(T.ATTN_Q, i), (n_embd, nq), "w", i)
    t.add(tname(T.ATTN_K, i), (n_embd, nk), "w", i)
    t.add(tname(T.ATTN_V, i), (n_embd, nv), "attn_v", i)
    if bias:
        t.add(tname(T.ATTN_Q, i, "bias"), (nq,), "f32", i)
        t.add(tname(T.ATTN_K, i, "bias"), (nk,), "f32", i)
        t.add(tname(T.ATTN_V, i, "bias"), (nv,), "f32", i)


def head(t: Table, n_embd: int, n_vocab: int, tied: bool):
    t.add(tname(T.TOKEN_EMBD), (n_embd, n_vocab), "embd")
    t.add(tname(T.OUTPUT_NORM), (n_embd,), "norm")
    if not tied:
        t.add(tname(T.OUTPUT), (n_embd, n_vocab), "out")


def dense_ffn(t: Table, i: int, n_embd: int, n_ff: int):
    t.add(tname(T.FFN_GATE, i), (n_embd, n_ff), "w", i)
    t.add(tname(T.FFN_DOWN, i), (n_ff, n_embd), "ffn_down", i)
    t.add(tname(T.FFN_UP, i), (n_embd, n_ff), "w", i)


def moe_ffn(t: Table, i: int, n_embd: int, n_ff_exp: int, n_expert: int):
    t.add(tname(T.FFN_GATE_INP, i), (n_embd, n_expert), "router", i)
    t.add(tname(T.FFN_GATE_EXP, i), (n_embd, n_ff_exp, n_expert), "expert", i)
    t.add(tname(T.FFN_DOWN_EXP, i), (n_ff_exp, n_embd, n_expert), "expert_down", i)
    t.add(tname(T.FFN_UP_EXP, i), (n_embd, n_ff_exp, n_expert), "expert", i)


def tensors_llama(a: dict, x: dict) -> Table:
    t = Table()
    E, L, H, KV, D, F, V = (a["hiddenSize"], a["layers"], a["heads"], a["kvHeads"], a["headDim"],
                            a["ffnSize"], a["vocabSize"])
    head(t, E, V, a["tiedEmbeddings"])
    if x.get("rope_freqs"):
        t.add(tname(T.ROPE_FREQS), (D // 2,), "f32")
    for i in range(L):
        t.add(tname(T.ATTN_NORM, i), (E,), "norm", i)
        add_qkv(t, i, E, H * D, KV * D, KV * D)
        t.add(tname(T.ATTN_OUT, i), (H * D, E), "w", i)
        t.add(tname(T.FFN_NORM, i), (E,), "norm", i)
        dense_ffn(t, i, E, F)
    return t


def tensors_qwen3(a: dict, x: dict) -> Table:
    t = Table()
    E, L, H, KV, D, V = a["hiddenSize"], a["layers"], a["heads"], a["kvHeads"], a["headDim"], a["vocabSize"]
    head(t, E, V, a["tiedEmbeddings"])
    for i in range(L):
        t.add(tname(T.ATTN_NORM, i), (E,), "norm", i)
        add_qkv(t, i, E, H * D, KV * D, KV * D)
        t.add(tname(T.ATTN_OUT, i), (H * D, E), "w", i)
        t.add(tname(T.ATTN_K_NORM, i), (D,), "norm", i)
        t.add(tname(T.ATTN_Q_NORM, i), (D,), "norm", i)
        t.add(tname(T.FFN_NORM, i), (E,), "norm", i)
        if "moe" in a:
            moe_ffn(t, i, E, a["moe"]["expertFfnSize"], a["moe"]["experts"])
        else:
            dense_ffn(t, i, E, a["ffnSize"])
    return t


def tensors_gemma3(a: dict, x: dict) -> Table:
    t = Table()
    E, L, H, KV, D, F, V = (a["hiddenSize"], a["layers"], a["heads"], a["kvHeads"], a["headDim"],
                            a["ffnSize"], a["vocabSize"])
    head(t, E, V, a["tiedEmbeddings"])
    for i in range(L):
        t.add(tname(T.ATTN_NORM, i), (E,), "norm", i)
        add_qkv(t, i, E, H * D, KV * D, KV * D)
        t.add(tname(T.ATTN_OUT, i), (H * D, E), "w", i)
        t.add(tname(T.ATTN_POST_NORM, i), (E,), "norm", i)
        t.add(tname(T.ATTN_K_NORM, i), (D,), "norm", i)
        t.add(tname(T.ATTN_Q_NORM, i), (D,), "norm", i)
        t.add(tname(T.FFN_NORM, i), (E,), "norm", i)
        dense_ffn(t, i, E, F)
        t.add(tname(T.FFN_POST_NORM, i), (E,), "norm", i)
    return t


def gemma4_global(a: dict, i: int) -> bool:
    return (i + 1) % a["slidingWindow"]["globalEvery"] == 0


def tensors_gemma4(a: dict, x: dict) -> Table:
    """src/models/gemma4.cpp: global layers have their own head size and KV heads; with
    attention_k_eq_v they have no attn_v (K is reused as V); one rope_freqs for the global layers."""
    t = Table()
    sw = a["slidingWindow"]
    E, L, H, F, V = a["hiddenSize"], a["layers"], a["heads"], a["ffnSize"], a["vocabSize"]
    head(t, E, V, a["tiedEmbeddings"])
    t.add(tname(T.ROPE_FREQS), (sw.get("globalHeadDim", a["headDim"]) // 2,), "f32")
    for i in range(L):
        g = gemma4_global(a, i)
        D = sw.get("globalHeadDim", a["headDim"]) if g else a["headDim"]
        KV = sw.get("globalKvHeads", a["kvHeads"]) if g else a["kvHeads"]
        t.add(tname(T.ATTN_NORM, i), (E,), "norm", i)
        t.add(tname(T.ATTN_Q, i), (E, H * D), "w", i)
        t.add(tname(T.ATTN_K, i), (E, KV * D), "w", i)
        if not (g and sw.get("globalSharedKV")):
            t.add(tname(T.ATTN_V, i), (E, KV * D), "attn_v", i)
        t.add(tname(T.ATTN_OUT, i), (H * D, E), "w", i)
        t.add(tname(T.ATTN_Q_NORM, i), (D,), "norm", i)
        t.add(tname(T.ATTN_K_NORM, i), (D,), "norm", i)
        t.add(tname(T.ATTN_POST_NORM, i), (E,), "norm", i)
        t.add(tname(T.FFN_NORM, i), (E,), "norm", i)
        dense_ffn(t, i, E, F)
        t.add(tname(T.FFN_POST_NORM, i), (E,), "norm", i)
    return t


def tensors_gpt_oss(a: dict, x: dict) -> Table:
    t = Table()
    E, L, H, KV, D, V = a["hiddenSize"], a["layers"], a["heads"], a["kvHeads"], a["headDim"], a["vocabSize"]
    NE, FE = a["moe"]["experts"], a["moe"]["expertFfnSize"]
    head(t, E, V, False)
    for i in range(L):
        t.add(tname(T.ATTN_NORM, i), (E,), "norm", i)
        t.add(tname(T.ATTN_POST_NORM, i), (E,), "norm", i)
        add_qkv(t, i, E, H * D, KV * D, KV * D, bias=True)
        t.add(tname(T.ATTN_OUT, i), (H * D, E), "w", i)
        t.add(tname(T.ATTN_OUT, i, "bias"), (E,), "f32", i)
        t.add(tname(T.ATTN_SINKS, i), (H,), "f32", i)
        moe_ffn(t, i, E, FE, NE)
        t.add(tname(T.FFN_GATE_INP, i, "bias"), (NE,), "f32", i)
        t.add(tname(T.FFN_GATE_EXP, i, "bias"), (FE, NE), "f32", i)
        t.add(tname(T.FFN_DOWN_EXP, i, "bias"), (E, NE), "f32", i)
        t.add(tname(T.FFN_UP_EXP, i, "bias"), (FE, NE), "f32", i)
    return t


def tensors_deepseek2(a: dict, x: dict) -> Table:
    t = Table()
    E, L, H, V, F = a["hiddenSize"], a["layers"], a["heads"], a["vocabSize"], a["ffnSize"]
    m, moe = a["mla"], a["moe"]
    qr, kvr, nope, rope, vd = m["qLoraRank"], m["kvLoraRank"], m["qkNopeHeadDim"], m["qkRopeHeadDim"], m["vHeadDim"]
    NE, FE, NS, LD = moe["experts"], moe["expertFfnSize"], moe.get("sharedExperts", 0), moe.get("leadingDenseLayers", 0)
    head(t, E, V, a["tiedEmbeddings"])
    for i in range(L):
        t.add(tname(T.ATTN_NORM, i), (E,), "norm", i)
        if qr > 0:
            t.add(tname(T.ATTN_Q_A_NORM, i), (qr,), "norm", i)
        t.add(tname(T.ATTN_KV_A_NORM, i), (kvr,), "norm", i)
        if qr > 0:
            t.add(tname(T.ATTN_Q_A, i), (E, qr), "w", i)
            t.add(tname(T.ATTN_Q_B, i), (qr, H * (nope + rope)), "w", i)
        else:
            t.add(tname(T.ATTN_Q, i), (E, H * (nope + rope)), "w", i)
        t.add(tname(T.ATTN_KV_A_MQA, i), (E, kvr + rope), "w", i)
        t.add(tname(T.ATTN_K_B, i), (nope, kvr, H), "w", i)
        t.add(tname(T.ATTN_V_B, i), (kvr, vd, H), "attn_v", i)
        t.add(tname(T.ATTN_OUT, i), (H * vd, E), "w", i)
        t.add(tname(T.FFN_NORM, i), (E,), "norm", i)
        if i < LD:
            dense_ffn(t, i, E, F)
        else:
            t.add(tname(T.FFN_GATE_INP, i), (E, NE), "router", i)
            if x.get("exp_probs_b"):
                t.add(tname(T.FFN_EXP_PROBS_B, i, "bias"), (NE,), "f32", i)
            t.add(tname(T.FFN_DOWN_EXP, i), (FE, E, NE), "expert_down", i)
            t.add(tname(T.FFN_GATE_EXP, i), (E, FE, NE), "expert", i)
            t.add(tname(T.FFN_UP_EXP, i), (E, FE, NE), "expert", i)
            if NS:
                t.add(tname(T.FFN_GATE_SHEXP, i), (E, FE * NS), "w", i)
                t.add(tname(T.FFN_DOWN_SHEXP, i), (FE * NS, E), "ffn_down", i)
                t.add(tname(T.FFN_UP_SHEXP, i), (E, FE * NS), "w", i)
    return t


def tensors_glm4moe(a: dict, x: dict) -> Table:
    """src/models/glm4-moe.cpp: biased q/k/v, a post-attention norm, dense lead layers then MoE with
    a shared expert and an expert-bias, and after the trunk the NextN (MTP) block(s): a whole layer
    plus eh_proj, enorm, hnorm and shared_head_norm. block_count counts them."""
    t = Table()
    E, L, H, KV, D, V, F = (a["hiddenSize"], a["layers"], a["heads"], a["kvHeads"], a["headDim"],
                            a["vocabSize"], a["ffnSize"])
    moe = a["moe"]
    NE, FE, NS, LD = moe["experts"], moe["expertFfnSize"], moe.get("sharedExperts", 0), moe.get("leadingDenseLayers", 0)
    head(t, E, V, a["tiedEmbeddings"])
    for i in range(L + a.get("mtpLayers", 0)):
        t.add(tname(T.ATTN_NORM, i), (E,), "norm", i)
        add_qkv(t, i, E, H * D, KV * D, KV * D, bias=True)
        t.add(tname(T.ATTN_OUT, i), (H * D, E), "w", i)
        t.add(tname(T.ATTN_POST_NORM, i), (E,), "norm", i)
        if i < LD:
            dense_ffn(t, i, E, F)
        else:
            t.add(tname(T.FFN_GATE_INP, i), (E, NE), "router", i)
            t.add(tname(T.FFN_EXP_PROBS_B, i, "bias"), (NE,), "f32", i)
            t.add(tname(T.FFN_DOWN_EXP, i), (FE, E, NE), "expert_down", i)
            t.add(tname(T.FFN_GATE_EXP, i), (E, FE, NE), "expert", i)
            t.add(tname(T.FFN_UP_EXP, i), (E, FE, NE), "expert", i)
            if NS:
                t.add(tname(T.FFN_GATE_SHEXP, i), (E, FE * NS), "w", i)
                t.add(tname(T.FFN_DOWN_SHEXP, i), (FE * NS, E), "ffn_down", i)
                t.add(tname(T.FFN_UP_SHEXP, i), (E, FE * NS), "w", i)
        if i >= L:
            t.add(tname(T.NEXTN_EH_PROJ, i), (2 * E, E), "w", i)
            t.add(tname(T.NEXTN_ENORM, i), (E,), "norm", i)
            t.add(tname(T.NEXTN_HNORM, i), (E,), "norm", i)
            t.add(tname(T.NEXTN_SHARED_HEAD_NORM, i), (E,), "norm", i)
    return t


def tensors_qwen3next(a: dict, x: dict) -> Table:
    t = Table()
    E, L, H, KV, D, V = a["hiddenSize"], a["layers"], a["heads"], a["kvHeads"], a["headDim"], a["vocabSize"]
    la, moe = a["linearAttention"], a["moe"]
    hk, hv, nk, nv = la["keyHeadDim"], la["valueHeadDim"], la["keyHeads"], la["valueHeads"]
    key_dim, value_dim = hk * nk, hv * nv
    conv_dim = key_dim * 2 + value_dim
    NE, FE, FS = moe["experts"], moe["expertFfnSize"], moe.get("sharedExpertFfnSize", moe["expertFfnSize"])
    head(t, E, V, a["tiedEmbeddings"])
    for i in range(L):
        t.add(tname(T.ATTN_NORM, i), (E,), "norm", i)
        t.add(tname(T.ATTN_POST_NORM, i), (E,), "norm", i)
        if (i + 1) % la["fullAttentionEvery"] == 0:
            add_qkv(t, i, E, D * H * 2, KV * D, KV * D)   # q carries the output gate (x2)
            t.add(tname(T.ATTN_OUT, i), (D * H, E), "w", i)
            t.add(tname(T.ATTN_Q_NORM, i), (D,), "norm", i)
            t.add(tname(T.ATTN_K_NORM, i), (D,), "norm", i)
        else:
            t.add(tname(T.ATTN_QKV, i), (E, key_dim * 2 + value_dim), "w", i)
            t.add(tname(T.ATTN_GATE, i), (E, value_dim), "w", i)
            t.add(tname(T.SSM_CONV1D, i), (la["convKernel"], conv_dim), "f32", i)
            t.add(tname(T.SSM_DT, i, "bias"), (nv,), "f32", i)
            t.add(tname(T.SSM_A, i, None), (nv,), "f32", i)
            t.add(tname(T.SSM_BETA_ALPHA, i), (E, nv * 2), "w", i)
            t.add(tname(T.SSM_NORM, i), (hv,), "norm", i)
            t.add(tname(T.SSM_OUT, i), (value_dim, E), "w", i)
        moe_ffn(t, i, E, FE, NE)
        t.add(tname(T.FFN_GATE_INP_SHEXP, i), (E,), "f32", i)
        t.add(tname(T.FFN_GATE_SHEXP, i), (E, FS), "w", i)
        t.add(tname(T.FFN_UP_SHEXP, i), (E, FS), "w", i)
        t.add(tname(T.FFN_DOWN_SHEXP, i), (FS, E), "ffn_down", i)
    return t


# ----------------------------------------------------------------------------- metadata

def write_kv(w: gguf.GGUFWriter, arch: str, a: dict, x: dict, name: str, ftype: int):
    w.add_name(name)
    w.add_file_type(ftype)
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    w.add_block_count(a["layers"] + (a.get("mtpLayers", 0) if x.get("write_mtp") else 0))
    if x.get("write_mtp") and a.get("mtpLayers"):
        w.add_nextn_predict_layers(a["mtpLayers"])
    w.add_context_length(a["contextLength"])
    w.add_embedding_length(a["hiddenSize"])
    w.add_feed_forward_length(x.get("feed_forward_length", a["ffnSize"]))
    w.add_head_count(a["heads"])
    sw = a.get("slidingWindow")
    if arch == "gemma4":
        # per-layer KV heads; key/value length are the global layers', *_swa the sliding ones'
        L, gd = a["layers"], sw.get("globalHeadDim", a["headDim"])
        w.add_head_count_kv([sw.get("globalKvHeads", a["kvHeads"]) if gemma4_global(a, i) else a["kvHeads"] for i in range(L)])
        w.add_key_length(gd)
        w.add_value_length(gd)
        w.add_key_length_swa(a["headDim"])
        w.add_value_length_swa(a["headDim"])
        w.add_embedding_length_per_layer_input(0)
    else:
        w.add_head_count_kv(x.get("head_count_kv", a["kvHeads"]))
        w.add_key_length(x.get("key_length", a["headDim"]))
        w.add_value_length(x.get("value_length", a.get("valueHeadDim", a["headDim"])))
    w.add_layer_norm_rms_eps(x.get("rms_eps", 1e-6))
    w.add_rope_freq_base(x.get("rope_theta", 10000.0))
    if arch == "gemma4":
        w.add_rope_dimension_count(sw.get("globalHeadDim", a["headDim"]))
        w.add_rope_dimension_count_swa(a["headDim"])
    else:
        w.add_rope_dimension_count(x.get("rope_dim", a["headDim"]))
    if "rope_scaling" in x:
        rs = x["rope_scaling"]
        w.add_rope_scaling_type({"linear": gguf.RopeScalingType.LINEAR, "yarn": gguf.RopeScalingType.YARN}[rs["type"]])
        w.add_rope_scaling_factor(rs["factor"])
        if "orig" in rs:
            w.add_rope_scaling_orig_ctx_len(rs["orig"])
        if "yarn_log_mul" in rs:
            w.add_rope_scaling_yarn_log_mul(rs["yarn_log_mul"])
    if sw:
        w.add_sliding_window(sw["window"])
        if arch == "gemma4":   # the array form, true = sliding layer (gemma4 reads only the array)
            w.add_sliding_window_pattern([not gemma4_global(a, i) for i in range(a["layers"])])
        else:
            w.add_sliding_window_pattern(sw["globalEvery"])   # scalar form: every Nth layer is dense
        if "rope_theta_swa" in x:
            w.add_rope_freq_base_swa(x["rope_theta_swa"])
    moe = a.get("moe")
    if moe:
        w.add_expert_count(moe["experts"])
        w.add_expert_used_count(moe["activeExperts"])
        w.add_expert_feed_forward_length(moe["expertFfnSize"])
        if "sharedExperts" in moe or arch == "deepseek2":
            w.add_expert_shared_count(moe.get("sharedExperts", 0))
        if moe.get("sharedExpertFfnSize"):
            w.add_expert_shared_feed_forward_length(moe["sharedExpertFfnSize"])
        if "leadingDenseLayers" in moe:
            w.add_leading_dense_block_count(moe["leadingDenseLayers"])
        if "expert_weights_scale" in x:
            w.add_expert_weights_scale(x["expert_weights_scale"])
        if x.get("expert_weights_norm"):
            w.add_expert_weights_norm(True)
        if "expert_gating_func" in x:
            w.add_expert_gating_func(x["expert_gating_func"])
    mla = a.get("mla")
    if mla:
        if mla["qLoraRank"]:
            w.add_q_lora_rank(mla["qLoraRank"])
        w.add_kv_lora_rank(mla["kvLoraRank"])
        w.add_key_length_mla(mla["qkNopeHeadDim"] + mla["qkRopeHeadDim"])
        w.add_value_length_mla(mla["vHeadDim"])
        w.add_vocab_size(a["vocabSize"])
    la = a.get("linearAttention")
    if la:
        w.add_ssm_conv_kernel(la["convKernel"])
        w.add_ssm_state_size(la["keyHeadDim"])
        w.add_ssm_group_count(la["keyHeads"])
        w.add_ssm_time_step_rank(la["valueHeads"])
        w.add_ssm_inner_size(la["valueHeadDim"] * la["valueHeads"])
        w.add_full_attention_interval(la["fullAttentionEvery"])
    if "final_logit_softcapping" in x:
        w.add_final_logit_softcapping(x["final_logit_softcapping"])


def write_vocab(w: gguf.GGUFWriter, n_vocab: int):
    """SentencePiece-style dummy vocab: <unk> <s> </s>, the 256 byte tokens, then <tN>."""
    toks, scores, types = ["<unk>", "<s>", "</s>"], [0.0, 0.0, 0.0], [2, 3, 3]
    for b in range(256):
        toks.append(f"<0x{b:02X}>"); scores.append(0.0); types.append(6)
    for k in range(len(toks), n_vocab):
        toks.append(f"<t{k}>"); scores.append(-float(k)); types.append(1)
    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(toks)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)
    w.add_add_bos_token(True)


# ----------------------------------------------------------------------------- types

def fits(qt: Q, ne0: int) -> bool:
    return ne0 % gguf.GGML_QUANT_SIZES[qt][0] == 0


def pick(base: Q, ne0: int) -> Q:
    if fits(base, ne0):
        return base
    fallback = {Q.Q4_K: Q.Q5_0, Q.Q5_K: Q.Q5_1, Q.Q6_K: Q.Q8_0, Q.Q2_K: Q.Q4_0, Q.Q3_K: Q.IQ4_NL}
    f = fallback.get(base, Q.F16)
    return f if fits(f, ne0) else Q.F16


def mix_uniform(base: Q, expert: Q | None = None):
    """Every 2-D+ weight in `base` (with the llama.cpp row-width fallbacks), experts in `expert`
    when given; norms, biases, routers, 1-D tensors F32."""
    def f(name, ne, kind, layer):
        if kind in ("norm", "f32", "router") or len(ne) == 1:
            return Q.F32
        if expert is not None and kind.startswith("expert"):
            return pick(expert, ne[0])
        return pick(base, ne[0])
    return f


def nbytes(ne: tuple[int, ...], qt: Q) -> int:
    blk, sz = gguf.GGML_QUANT_SIZES[qt]
    n = int(np.prod(ne, dtype=np.int64))
    assert ne[0] % blk == 0, (ne, qt)
    return n // blk * sz


# ----------------------------------------------------------------------------- models

# extra facts not in the catalog block, as the published GGUFs carry them
MODELS = {
    "llama-3.2-1b-instruct": dict(arch="llama", fn=tensors_llama,
        x=dict(rope_theta=500000.0, rms_eps=1e-5, rope_freqs=True),
        mixes=["F16", "Q8_0:quantize", "Q4_K_M:quantize"]),
    "llama-3.1-8b-instruct": dict(arch="llama", fn=tensors_llama,
        x=dict(rope_theta=500000.0, rms_eps=1e-5, rope_freqs=True),
        mixes=["Q8_0", "Q6_K", "Q4_K_M:quantize"]),
    "qwen3-8b": dict(arch="qwen3", fn=tensors_qwen3,
        x=dict(rope_theta=1000000.0, rms_eps=1e-6),
        mixes=["Q8_0", "F16"]),
    "qwen3-30b-a3b": dict(arch="qwen3moe", fn=tensors_qwen3,
        x=dict(rope_theta=1000000.0, rms_eps=1e-6, feed_forward_length=6144),
        mixes=["Q8_0", "Q6_K"]),
    "gemma-3-12b-it": dict(arch="gemma3", fn=tensors_gemma3,
        x=dict(rope_theta=1000000.0, rope_theta_swa=10000.0, rms_eps=1e-6,
               rope_scaling=dict(type="linear", factor=8.0)),
        mixes=["Q8_0", "Q6_K"]),
    # Gemma 4 31B: 16 KV heads x 256 on sliding layers, 4 x 512 on every 6th (global) layer, K reused
    # as V there. rope bases as the published GGUFs carry them (1e6 global, 1e4 sliding).
    "gemma-4-31b-it": dict(arch="gemma4", fn=tensors_gemma4,
        x=dict(rope_theta=1000000.0, rope_theta_swa=10000.0, rms_eps=1e-6, final_logit_softcapping=30.0),
        mixes=["Q8_0", "Q6_K"]),
    # GLM-4.5-Air: 45 MoE layers after 1 dense, and one NextN (MTP) block after them, kept in the
    # file as the published GGUFs keep it; partial rotary 0.5 (64 of 128), sigmoid gating.
    "glm-4.5-air": dict(arch="glm4moe", fn=tensors_glm4moe,
        x=dict(rope_theta=1000000.0, rms_eps=1e-5, rope_dim=64, write_mtp=True, expert_weights_scale=1.0,
               expert_weights_norm=True, expert_gating_func=gguf.ExpertGatingFuncType.SIGMOID),
        mixes=["Q8_0", "Q6_K"]),
    "gpt-oss-20b": dict(arch="gpt-oss", fn=tensors_gpt_oss,
        x=dict(rope_theta=150000.0, rms_eps=1e-5, feed_forward_length=2880,
               rope_scaling=dict(type="yarn", factor=32.0, orig=4096)),
        mixes=["MXFP4+F16", "MXFP4+Q8_0"]),
    "deepseek-v3": dict(arch="deepseek2", fn=tensors_deepseek2,
        x=dict(rope_theta=10000.0, rms_eps=1e-6, head_count_kv=1, key_length=576, value_length=512,
               rope_dim=64, exp_probs_b=True, expert_weights_scale=2.5, expert_weights_norm=True,
               expert_gating_func=gguf.ExpertGatingFuncType.SIGMOID,
               rope_scaling=dict(type="yarn", factor=40.0, orig=4096, yarn_log_mul=0.1)),
        mixes=["Q8_0", "Q6_K"]),
    # not in the catalog: a small real MLA model that can be allocated for real on this machine.
    # config.json of deepseek-ai/DeepSeek-V2-Lite(-Chat): q_lora_rank null, first_k_dense_replace 1.
    "deepseek-v2-lite-chat": dict(arch="deepseek2", fn=tensors_deepseek2,
        architecture=dict(layers=27, hiddenSize=2048, heads=16, kvHeads=16, headDim=192, valueHeadDim=128,
                          ffnSize=10944, vocabSize=102400, contextLength=163840, tiedEmbeddings=False,
                          moe=dict(experts=64, activeExperts=6, expertFfnSize=1408, sharedExperts=2,
                                   leadingDenseLayers=1, normalizedWeights=False),
                          mla=dict(qLoraRank=0, kvLoraRank=512, qkNopeHeadDim=128, qkRopeHeadDim=64, vHeadDim=128)),
        x=dict(rope_theta=10000.0, rms_eps=1e-6, head_count_kv=1, key_length=576, value_length=512,
               rope_dim=64, expert_weights_scale=1.0,
               rope_scaling=dict(type="yarn", factor=40.0, orig=4096, yarn_log_mul=0.0707)),
        mixes=["Q8_0", "Q6_K"]),
    "qwen3-next-80b-a3b-instruct": dict(arch="qwen3next", fn=tensors_qwen3next,
        x=dict(rope_theta=10000000.0, rms_eps=1e-6, rope_dim=64, feed_forward_length=5120),
        mixes=["Q8_0", "Q6_K"]),
}

MIX_DEF = {
    # name: (type function, general.file_type, description)
    "F16": (mix_uniform(Q.F16), FT.MOSTLY_F16, "all weights F16, norms F32"),
    "Q8_0": (mix_uniform(Q.Q8_0), FT.MOSTLY_Q8_0, "all weights Q8_0, norms/routers F32"),
    "Q6_K": (mix_uniform(Q.Q6_K), FT.MOSTLY_Q6_K, "all weights Q6_K (Q8_0 where the row is not a multiple of 256), norms/routers F32"),
    "MXFP4+F16": (mix_uniform(Q.F16, Q.MXFP4), FT.MOSTLY_MXFP4_MOE, "experts MXFP4, other weights F16, norms/biases/sinks F32"),
    "MXFP4+Q8_0": (mix_uniform(Q.Q8_0, Q.MXFP4), FT.MOSTLY_MXFP4_MOE, "experts MXFP4, other weights Q8_0, norms/biases/sinks F32"),
}


def write_model(mid: str, spec: dict, arch_block: dict, mix: str, out: Path) -> dict:
    fn, ftype, desc = MIX_DEF[mix]
    table = spec["fn"](arch_block, spec["x"])
    path = out / f"{mid}.{mix}.gguf"
    w = gguf.GGUFWriter(str(path), spec["arch"])
    write_kv(w, spec["arch"], arch_block, spec["x"], f"{mid} (shape only, zero weights)", int(ftype))
    write_vocab(w, arch_block["vocabSize"])
    total = 0
    by_type: dict[str, int] = {}
    for name, ne, kind, layer in table.rows:
        qt = fn(name, ne, kind, layer)
        nb = nbytes(ne, qt)
        total += nb
        by_type[qt.name] = by_type.get(qt.name, 0) + nb
        w.add_tensor_info(name, tuple(reversed(ne)), np.dtype(np.float32), nb, raw_dtype=qt)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    fout = w.fout[0]
    w.write_padding(fout, fout.tell())
    data_start = fout.tell()
    align = w.data_alignment
    data_len = sum(gguf.GGUFWriter.ggml_pad(nbytes(ne, fn(n, ne, k, l)), align) for n, ne, k, l in table.rows)
    fout.flush()
    w.close()
    os.truncate(path, data_start + data_len)
    return dict(id=mid, mix=mix, file=str(path), architecture=arch_block, fileType=ftype.name.replace("MOSTLY_", ""),
                quant=mix if mix in ("F16", "Q8_0", "Q6_K") else f"mixed:{desc}",
                desc=desc, tensorBytes=total, bytesByType=by_type, tensors=len(table.rows),
                fileBytes=data_start + data_len)


def read_tensor_bytes(path: Path) -> tuple[int, dict[str, int], int]:
    r = gguf.GGUFReader(str(path))
    total, by = 0, {}
    for t in r.tensors:
        total += int(t.n_bytes)
        by[t.tensor_type.name] = by.get(t.tensor_type.name, 0) + int(t.n_bytes)
    ft = r.fields.get("general.file_type")
    ftv = int(ft.parts[ft.data[0]][0]) if ft else -1
    return total, by, ftv


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(WORK / "gguf"))
    ap.add_argument("--only", default="")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--force", action="store_true", help="rewrite files that already exist")
    ap.add_argument("--quantize-bin", default=str(WORK / "build" / "bin" / "llama-quantize"))
    args = ap.parse_args()
    if args.list:
        for k, v in MODELS.items():
            print(k, v["arch"], ",".join(v["mixes"]))
        return
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cat = catalog()
    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    only = set(filter(None, args.only.split(",")))
    for mid, spec in MODELS.items():
        if only and mid not in only:
            continue
        a = spec.get("architecture") or cat[mid]["architecture"]
        for mix in spec["mixes"]:
            if mix.endswith(":quantize"):
                qname = mix.split(":")[0]
                src = out / f"{mid}.F16.gguf"
                dst = out / f"{mid}.{qname}.gguf"
                if not src.exists():
                    print(f"[make_gguf] writing {mid}.F16", flush=True)
                    manifest[f"{mid}.F16"] = write_model(mid, spec, a, "F16", out)
                if not dst.exists():
                    print(f"[make_gguf] llama-quantize {src.name} -> {qname}", flush=True)
                    subprocess.run([args.quantize_bin, str(src), str(dst), qname, "2"], check=True,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                total, by, ftv = read_tensor_bytes(dst)
                manifest[f"{mid}.{qname}"] = dict(id=mid, mix=qname, file=str(dst), architecture=a,
                    fileType=FT(ftv).name.replace("MOSTLY_", ""), quant=qname,
                    desc=f"llama-quantize {qname} of the F16 shape (llama.cpp's own recipe)",
                    tensorBytes=total, bytesByType=by, fileBytes=dst.stat().st_size)
            else:
                key = f"{mid}.{mix}"
                if key in manifest and Path(manifest[key]["file"]).exists() and not args.force:
                    continue   # never rewrite a file a measurement may have mapped
                print(f"[make_gguf] writing {key}", flush=True)
                manifest[key] = write_model(mid, spec, a, mix, out)
            manifest_path.write_text(json.dumps(manifest, indent=1))
    print(json.dumps({k: (v["tensorBytes"], v["fileType"]) for k, v in manifest.items()}, indent=1))


if __name__ == "__main__":
    main()
