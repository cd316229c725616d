#!/usr/bin/env python3
"""Exports a BERT checkpoint folder (config.json + model.safetensors, transformers' BertModel
names) to ONNX with Debian's python3-torch, for bench/bert.mjs to time onnxruntime-web on the same
weights. The module below is written from the BERT paper and transformers' modeling_bert.py
(post-LN layers, exact-erf GELU, absolute positions); `--check FOLDER` first compares it with the
oracle references of that folder (last_hidden_state.npy) before anything is trusted, and
`--check-onnx ORACLE.onnx` also exports the oracle folder itself, so that the exported graph can be
compared with the same reference in onnxruntime-web (bench/bert.mjs does). Without MODEL_FOLDER
OUT.onnx only the checks run.

  /usr/bin/python3 tools/bert_to_onnx.py [MODEL_FOLDER OUT.onnx] [--check tests/fixtures/bert_tiny_st [--check-onnx tiny.onnx]]
"""
import json
import math
import struct
import sys

import numpy as np
import torch


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    base = 8 + length
    tensors = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        assert spec["dtype"] == "F32", f"{name}: only F32 is read here"
        begin, end = spec["data_offsets"]
        array = np.frombuffer(data, dtype="<f4", count=(end - begin) // 4, offset=base + begin).reshape(spec["shape"])
        tensors[name.removeprefix("bert.")] = torch.from_numpy(array.copy())
    return tensors


class Bert(torch.nn.Module):
    def __init__(self, config, w):
        super().__init__()
        self.c = config
        self.w = torch.nn.ParameterDict({name.replace(".", "__"): torch.nn.Parameter(t, requires_grad=False) for name, t in w.items()})

    def p(self, name):
        return self.w[name.replace(".", "__")]

    def layer_norm(self, x, prefix):
        return torch.nn.functional.layer_norm(x, (self.c["hidden_size"],), self.p(prefix + ".weight"), self.p(prefix + ".bias"), self.c["layer_norm_eps"])

    def linear(self, x, prefix):
        return torch.nn.functional.linear(x, self.p(prefix + ".weight"), self.p(prefix + ".bias"))

    def forward(self, input_ids, attention_mask, token_type_ids):
        batch, seq = input_ids.shape
        heads = self.c["num_attention_heads"]
        head_dim = self.c["hidden_size"] // heads
        positions = torch.arange(seq, dtype=torch.int64).unsqueeze(0).expand(batch, seq)
        x = (torch.nn.functional.embedding(input_ids, self.p("embeddings.word_embeddings.weight"))
             + torch.nn.functional.embedding(positions, self.p("embeddings.position_embeddings.weight"))
             + torch.nn.functional.embedding(token_type_ids, self.p("embeddings.token_type_embeddings.weight")))
        x = self.layer_norm(x, "embeddings.LayerNorm")
        bias = (1.0 - attention_mask.to(torch.float32))[:, None, None, :] * torch.finfo(torch.float32).min
        for i in range(self.c["num_hidden_layers"]):
            p = f"encoder.layer.{i}"
            split = lambda t: t.view(batch, seq, heads, head_dim).transpose(1, 2)
            q, k, v = (split(self.linear(x, f"{p}.attention.self.{n}")) for n in ("query", "key", "value"))
            scores = q @ k.transpose(-1, -2) / math.sqrt(head_dim) + bias
            context = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(batch, seq, heads * head_dim)
            x = self.layer_norm(x + self.linear(context, f"{p}.attention.output.dense"), f"{p}.attention.output.LayerNorm")
            inner = torch.nn.functional.gelu(self.linear(x, f"{p}.intermediate.dense"))
            x = self.layer_norm(x + self.linear(inner, f"{p}.output.dense"), f"{p}.output.LayerNorm")
        return x


def load(folder):
    with open(f"{folder}/config.json") as f:
        config = json.load(f)
    return Bert(config, read_safetensors(f"{folder}/model.safetensors")).eval()


def check(folder):
    model = load(folder)
    ids, mask, types = (torch.from_numpy(np.load(f"{folder}/{n}.npy")) for n in ("input_ids", "attention_mask", "token_type_ids"))
    with torch.no_grad():
        out = model(ids, mask, types).numpy()
    reference = np.load(f"{folder}/last_hidden_state.npy")
    diff = float(np.abs(out - reference).max())
    tolerance = 1e-4 * max(1.0, float(np.abs(reference).max()))
    print(f"check {folder}: max abs diff {diff:.3g} (tolerance {tolerance:.3g})")
    if diff > tolerance:
        sys.exit("the torch module does not match the oracle: not exporting")


def export(folder, out):
    model = load(folder)
    ids = torch.ones(2, 16, dtype=torch.int64)
    torch.onnx.export(model, (ids, torch.ones_like(ids), torch.zeros_like(ids)), out, opset_version=14,
                      input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["last_hidden_state"],
                      dynamic_axes={n: {0: "batch", 1: "sequence"} for n in ("input_ids", "attention_mask", "token_type_ids", "last_hidden_state")})
    print(f"exported {out}")


def take_option(args, name):
    if name not in args:
        return None
    i = args.index(name)
    value = args[i + 1]
    del args[i:i + 2]
    return value


if __name__ == "__main__":
    args = sys.argv[1:]
    oracle = take_option(args, "--check")
    oracle_onnx = take_option(args, "--check-onnx")
    if oracle:
        check(oracle)
        if oracle_onnx:
            export(oracle, oracle_onnx)
    if args:
        export(args[0], args[1])
