"""A small Llama in plain torch, numerically the same computation as Hugging
Face transformers' LlamaForCausalLM (RMSNorm, rotate-half RoPE, grouped-query
attention, SwiGLU MLP, tied embeddings), with HF parameter names.

Also: config.json in the shape LlamaConfig.to_json_file() writes, and a
minimal safetensors writer/reader.
"""
import json
import math
import struct
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class LlamaArgs:
    vocab_size: int = 4096
    hidden_size: int = 256
    intermediate_size: int = 688
    num_hidden_layers: int = 6
    num_attention_heads: int = 8
    num_key_value_heads: int = 4
    head_dim: int = 32
    max_position_embeddings: int = 256
    rope_theta: float = 10000.0
    rms_norm_eps: float = 1e-5
    initializer_range: float = 0.02
    bos_token_id: int = 0
    eos_token_id: int = 2
    pad_token_id: int = 0


def hf_config_dict(a: LlamaArgs, transformers_version="4.46.3"):
    """The keys/values LlamaConfig(...).save_pretrained() writes (use_diff=True) for this model."""
    return {
        "architectures": ["LlamaForCausalLM"],
        "attention_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": a.bos_token_id,
        "eos_token_id": a.eos_token_id,
        "head_dim": a.head_dim,
        "hidden_act": "silu",
        "hidden_size": a.hidden_size,
        "initializer_range": a.initializer_range,
        "intermediate_size": a.intermediate_size,
        "max_position_embeddings": a.max_position_embeddings,
        "mlp_bias": False,
        "model_type": "llama",
        "num_attention_heads": a.num_attention_heads,
        "num_hidden_layers": a.num_hidden_layers,
        "num_key_value_heads": a.num_key_value_heads,
        "pad_token_id": a.pad_token_id,
        "pretraining_tp": 1,
        "rms_norm_eps": a.rms_norm_eps,
        "rope_scaling": None,
        "rope_theta": float(a.rope_theta),
        "tie_word_embeddings": True,
        "torch_dtype": "float32",
        "transformers_version": transformers_version,
        "use_cache": True,
        "vocab_size": a.vocab_size,
    }


def args_from_hf_config(cfg: dict) -> LlamaArgs:
    return LlamaArgs(
        vocab_size=cfg["vocab_size"], hidden_size=cfg["hidden_size"],
        intermediate_size=cfg["intermediate_size"], num_hidden_layers=cfg["num_hidden_layers"],
        num_attention_heads=cfg["num_attention_heads"],
        num_key_value_heads=cfg.get("num_key_value_heads", cfg["num_attention_heads"]),
        head_dim=cfg.get("head_dim", cfg["hidden_size"] // cfg["num_attention_heads"]),
        max_position_embeddings=cfg["max_position_embeddings"], rope_theta=cfg.get("rope_theta", 10000.0),
        rms_norm_eps=cfg["rms_norm_eps"], bos_token_id=cfg.get("bos_token_id"),
        eos_token_id=cfg.get("eos_token_id"), pad_token_id=cfg.get("pad_token_id"))


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        dtype = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dtype)


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def rope_cos_sin(positions, head_dim, theta):
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
    freqs = positions.float()[:, None] * inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


class Attention(nn.Module):
    def __init__(self, a: LlamaArgs):
        super().__init__()
        self.a = a
        self.q_proj = nn.Linear(a.hidden_size, a.num_attention_heads * a.head_dim, bias=False)
        self.k_proj = nn.Linear(a.hidden_size, a.num_key_value_heads * a.head_dim, bias=False)
        self.v_proj = nn.Linear(a.hidden_size, a.num_key_value_heads * a.head_dim, bias=False)
        self.o_proj = nn.Linear(a.num_attention_heads * a.head_dim, a.hidden_size, bias=False)

    def forward(self, x, cos, sin, mask):
        a = self.a
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, a.num_attention_heads, a.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(B, T, a.num_key_value_heads, a.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(B, T, a.num_key_value_heads, a.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = a.num_attention_heads // a.num_key_value_heads
        if rep > 1:  # HF repeat_kv: query head h uses kv head h // rep
            k = k.repeat_interleave(rep, dim=1)
            v = v.repeat_interleave(rep, dim=1)
        att = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(a.head_dim))
        att = att.masked_fill(mask, float("-inf"))
        att = F.softmax(att, dim=-1, dtype=torch.float32).to(q.dtype)
        y = (att @ v).transpose(1, 2).reshape(B, T, a.num_attention_heads * a.head_dim)
        return self.o_proj(y)


class MLP(nn.Module):
    def __init__(self, a: LlamaArgs):
        super().__init__()
        self.gate_proj = nn.Linear(a.hidden_size, a.intermediate_size, bias=False)
        self.up_proj = nn.Linear(a.hidden_size, a.intermediate_size, bias=False)
        self.down_proj = nn.Linear(a.intermediate_size, a.hidden_size, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, a: LlamaArgs):
        super().__init__()
        self.self_attn = Attention(a)
        self.mlp = MLP(a)
        self.input_layernorm = RMSNorm(a.hidden_size, a.rms_norm_eps)
        self.post_attention_layernorm = RMSNorm(a.hidden_size, a.rms_norm_eps)

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class Inner(nn.Module):
    def __init__(self, a: LlamaArgs):
        super().__init__()
        self.embed_tokens = nn.Embedding(a.vocab_size, a.hidden_size)
        self.layers = nn.ModuleList([DecoderLayer(a) for _ in range(a.num_hidden_layers)])
        self.norm = RMSNorm(a.hidden_size, a.rms_norm_eps)


class LlamaForCausalLM(nn.Module):
    """Parameter names match HF: model.embed_tokens.weight, model.layers.N..., model.norm.weight."""

    def __init__(self, a: LlamaArgs):
        super().__init__()
        self.a = a
        self.model = Inner(a)
        self.reset_parameters()

    def reset_parameters(self):
        std = self.a.initializer_range
        for name, p in self.named_parameters():
            if name.endswith("layernorm.weight") or name == "model.norm.weight":
                nn.init.ones_(p)
            elif name.endswith(("o_proj.weight", "down_proj.weight")):
                # GPT-2 style scaled init of the residual-branch outputs
                nn.init.normal_(p, 0.0, std / math.sqrt(2 * self.a.num_hidden_layers))
            else:
                nn.init.normal_(p, 0.0, std)

    def forward(self, ids):
        B, T = ids.shape
        pos = torch.arange(T)
        cos, sin = rope_cos_sin(pos, self.a.head_dim, self.a.rope_theta)
        mask = torch.ones(T, T, dtype=torch.bool).triu(1)
        x = self.model.embed_tokens(ids)
        for layer in self.model.layers:
            x = layer(x, cos, sin, mask)
        x = self.model.norm(x)
        return x @ self.model.embed_tokens.weight.t()  # tied lm_head


# ------------------------------------------------------------ safetensors

_DT = {"F32": (torch.float32, 4), "BF16": (torch.bfloat16, 2), "F16": (torch.float16, 2)}


def save_safetensors(tensors: dict, path: str, metadata=None):
    """Write {name: tensor} as safetensors: u64 LE header length, JSON header
    (space-padded to a multiple of 8), then the raw little-endian tensor bytes."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        dtype = {torch.float32: "F32", torch.bfloat16: "BF16", torch.float16: "F16"}[t.dtype]
        if t.dtype == torch.bfloat16:
            data = t.view(torch.int16).numpy().astype("<i2").tobytes()
        else:
            data = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = metadata or {"format": "pt"}
    hj = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hj += b" " * ((8 - len(hj) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        for b in blobs:
            f.write(b)


def load_safetensors(path: str) -> dict:
    import numpy as np
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        buf = raw[base + b: base + e]
        if info["dtype"] == "F32":
            arr = np.frombuffer(buf, dtype="<f4").reshape(info["shape"])
            out[name] = torch.from_numpy(arr.copy())
        elif info["dtype"] == "BF16":
            arr = np.frombuffer(buf, dtype="<i2").reshape(info["shape"])
            out[name] = torch.from_numpy(arr.copy()).view(torch.bfloat16).float()
        else:
            raise ValueError("unsupported dtype " + info["dtype"])
    return out
