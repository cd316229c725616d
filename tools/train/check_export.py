#!/usr/bin/python3
"""Independently check an exported model folder.

    /usr/bin/python3 tools/train/check_export.py [models/kjv-llama-5m]

1. Parses model.safetensors by hand (u64 header length, JSON header, raw
   little-endian data) and checks the header layout and that the tensor names
   and shapes are exactly the HF Llama ones implied by config.json (tied
   embeddings: no lm_head.weight).
2. Runs a from-scratch numpy forward pass written from the HF transformers
   LlamaForCausalLM equations (RMSNorm, rotate-half RoPE, GQA with
   repeat_kv, SwiGLU, tied head) using only config.json + the parsed tensors.
3. Compares its logits with the logits of the in-memory model that
   train_model.py saved right after training (tools/train/work/export_reference.npz)
   and with the torch module of llama.py reloaded from the file:
   max abs diff must be < 1e-4 (F32 export).
"""
import json
import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_DIR = os.path.join(REPO, "models", "kjv-llama-5m")
REFERENCE = os.path.join(HERE, "work", "export_reference.npz")
TOL = 1e-4


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    assert n % 8 == 0, "header length %d not a multiple of 8" % n
    hbytes = raw[8:8 + n]
    assert hbytes == hbytes.rstrip(b" ") + b" " * (len(hbytes) - len(hbytes.rstrip(b" "))), "header padding must be spaces"
    header = json.loads(hbytes)
    base = 8 + n
    tensors, end = {}, 0
    spans = []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        spans.append((b, e, name))
        if info["dtype"] == "F32":
            arr = np.frombuffer(raw, dtype="<f4", count=(e - b) // 4, offset=base + b)
        elif info["dtype"] == "BF16":
            u = np.frombuffer(raw, dtype="<u2", count=(e - b) // 2, offset=base + b).astype(np.uint32) << 16
            arr = u.view(np.float32)
        else:
            raise AssertionError("unexpected dtype %s for %s" % (info["dtype"], name))
        assert arr.size == int(np.prod(info["shape"])), name
        tensors[name] = arr.reshape(info["shape"]).astype(np.float32)
        end = max(end, e)
    spans.sort()
    pos = 0
    for b, e, name in spans:
        assert b == pos, "gap/overlap before %s" % name
        pos = e
    assert base + end == len(raw), "trailing bytes after the last tensor"
    return header, tensors


def expected_shapes(c):
    H, I, V = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
    hd = c.get("head_dim", H // c["num_attention_heads"])
    nq, nkv = c["num_attention_heads"] * hd, c["num_key_value_heads"] * hd
    shapes = {"model.embed_tokens.weight": [V, H], "model.norm.weight": [H]}
    for i in range(c["num_hidden_layers"]):
        p = "model.layers.%d." % i
        shapes.update({
            p + "self_attn.q_proj.weight": [nq, H], p + "self_attn.k_proj.weight": [nkv, H],
            p + "self_attn.v_proj.weight": [nkv, H], p + "self_attn.o_proj.weight": [H, nq],
            p + "mlp.gate_proj.weight": [I, H], p + "mlp.up_proj.weight": [I, H],
            p + "mlp.down_proj.weight": [H, I],
            p + "input_layernorm.weight": [H], p + "post_attention_layernorm.weight": [H],
        })
    if not c.get("tie_word_embeddings", False):
        shapes["lm_head.weight"] = [V, H]
    return shapes


def numpy_forward(c, w, ids):
    """HF LlamaForCausalLM forward, float32, no cache, batch of one."""
    H, nh, nkv = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"]
    hd = c.get("head_dim", H // nh)
    eps, theta = c["rms_norm_eps"], c["rope_theta"]
    T = len(ids)

    def rms(x, g):
        return g * (x / np.sqrt((x * x).mean(-1, keepdims=True) + eps))

    inv_freq = 1.0 / (theta ** (np.arange(0, hd, 2, dtype=np.float32) / hd))
    freqs = np.arange(T, dtype=np.float32)[:, None] * inv_freq[None, :]
    emb = np.concatenate([freqs, freqs], -1)
    cos, sin = np.cos(emb).astype(np.float32), np.sin(emb).astype(np.float32)

    def rope(x):  # x: [heads, T, hd]
        half = hd // 2
        rot = np.concatenate([-x[..., half:], x[..., :half]], -1)
        return x * cos + rot * sin

    x = w["model.embed_tokens.weight"][ids]
    causal = np.triu(np.ones((T, T), dtype=bool), 1)
    for i in range(c["num_hidden_layers"]):
        p = "model.layers.%d." % i
        h = rms(x, w[p + "input_layernorm.weight"])
        q = (h @ w[p + "self_attn.q_proj.weight"].T).reshape(T, nh, hd).transpose(1, 0, 2)
        k = (h @ w[p + "self_attn.k_proj.weight"].T).reshape(T, nkv, hd).transpose(1, 0, 2)
        v = (h @ w[p + "self_attn.v_proj.weight"].T).reshape(T, nkv, hd).transpose(1, 0, 2)
        q, k = rope(q), rope(k)
        rep = nh // nkv
        k, v = np.repeat(k, rep, axis=0), np.repeat(v, rep, axis=0)
        s = q @ k.transpose(0, 2, 1) / np.sqrt(hd)
        s = np.where(causal, -np.inf, s)
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        o = (s @ v).transpose(1, 0, 2).reshape(T, nh * hd)
        x = x + o @ w[p + "self_attn.o_proj.weight"].T
        h = rms(x, w[p + "post_attention_layernorm.weight"])
        g = h @ w[p + "mlp.gate_proj.weight"].T
        u = h @ w[p + "mlp.up_proj.weight"].T
        x = x + ((g / (1.0 + np.exp(-g))) * u) @ w[p + "mlp.down_proj.weight"].T
    x = rms(x, w["model.norm.weight"])
    head = w["model.embed_tokens.weight"] if c.get("tie_word_embeddings") else w["lm_head.weight"]
    return x @ head.T


def verify(model_dir, ids=None, ref_logits=None, log=print):
    with open(os.path.join(model_dir, "config.json")) as f:
        c = json.load(f)
    assert c["model_type"] == "llama" and c["architectures"] == ["LlamaForCausalLM"]
    header, w = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    want = expected_shapes(c)
    got = {k: list(v.shape) for k, v in w.items()}
    missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
    assert not missing and not extra, "tensor names differ: missing %s extra %s" % (missing, extra)
    for k in want:
        assert want[k] == got[k], "%s: shape %s, want %s" % (k, got[k], want[k])
    dtypes = sorted({v["dtype"] for k, v in header.items() if k != "__metadata__"})
    log("check_export: %d tensors, names and shapes match HF Llama, dtype %s, %d parameters"
        % (len(w), "/".join(dtypes), sum(v.size for v in w.values())))

    if ids is None:
        if not os.path.exists(REFERENCE):
            raise SystemExit("no %s: run train_model.py (it writes the in-memory model's logits there)" % REFERENCE)
        z = np.load(REFERENCE)
        ids, ref_logits = [int(t) for t in z["ids"]], z["logits"]
    tol = TOL if dtypes == ["F32"] else 5e-2
    mine = numpy_forward(c, w, list(ids))
    d_ref = float(np.abs(mine - ref_logits).max())
    log("check_export: numpy forward vs in-memory model logits (%d tokens): max abs diff %.2e" % (len(ids), d_ref))

    sys.path.insert(0, HERE)
    import torch
    from llama import LlamaForCausalLM, args_from_hf_config, load_safetensors
    m = LlamaForCausalLM(args_from_hf_config(c))
    m.load_state_dict(load_safetensors(os.path.join(model_dir, "model.safetensors")), strict=True)
    m.eval()
    with torch.no_grad():
        tl = m(torch.tensor([list(ids)]))[0].numpy()
    d_torch = float(np.abs(mine - tl).max())
    d_torch_ref = float(np.abs(tl - ref_logits).max())
    log("check_export: numpy vs reloaded torch module %.2e; reloaded torch vs in-memory %.2e" % (d_torch, d_torch_ref))
    ok = d_ref < tol and d_torch < tol and d_torch_ref < tol
    top = [int(t) for t in mine[-1].argsort()[::-1][:5]]
    log("check_export: %s (tolerance %.0e); next-token top-5 ids %s" % ("PASS" if ok else "FAIL", tol, top))
    if not ok:
        raise SystemExit(1)
    return d_ref


if __name__ == "__main__":
    verify(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_DIR)
