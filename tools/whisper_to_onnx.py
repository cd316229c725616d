#!/usr/bin/env python3
"""Exports a Whisper checkpoint folder (config.json + model.safetensors, HF key names) to ONNX with
Debian's python3-torch, in the layout transformers.js runs (optimum's split): encoder_model.onnx
(input_features -> last_hidden_state), decoder_model.onnx (the start tokens and the encoder output
-> logits, each layer's self-attention keys/values and cross-attention keys/values) and
decoder_with_past_model.onnx (one token, its position, the cache -> logits and the grown
self-attention cache), for bench/whisper.mjs to time onnxruntime-web on the same weights as wax.
The torch module is tools/train/whisper/whisper.py's (checked there against the oracle); the cached
decoder step is written here from its blocks.

  /usr/bin/python3 tools/whisper_to_onnx.py MODEL_FOLDER OUT_FOLDER [--start-tokens 3]
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "train", "whisper"))
from whisper import WhisperForConditionalGeneration, args_from_hf_config, load_safetensors  # noqa: E402

OPSET = 14


def attend(attention, q, k, v, mask=None):
    scores = q @ k.transpose(-1, -2)
    if mask is not None:
        scores = scores + mask
    out = (scores.softmax(-1) @ v).transpose(1, 2)
    return attention.out_proj(out.reshape(out.shape[0], out.shape[1], -1))


class Encoder(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.encoder = model.model.encoder

    def forward(self, input_features):
        # whisper.py writes the stem as unfold + matmul (for training); ONNX gets the same convolution as Conv1d
        e, F = self.encoder, torch.nn.functional
        x = F.gelu(F.conv1d(input_features, e.conv1.weight, e.conv1.bias, padding=1))
        x = F.gelu(F.conv1d(x, e.conv2.weight, e.conv2.bias, stride=2, padding=1)).transpose(1, 2)
        x = x + e.embed_positions.weight[:x.shape[1]]
        for layer in e.layers:
            x = layer(x)
        return e.layer_norm(x)


class DecoderStep(torch.nn.Module):
    """One decoder call: `ids` at `position_ids` after the cached tokens (none on the first call)."""

    def __init__(self, model, first):
        super().__init__()
        self.decoder, self.embed, self.first = model.model.decoder, model.model.decoder.embed_tokens.weight, first

    def forward(self, input_ids, position_ids, *state):
        layers = self.decoder.layers
        x = torch.nn.functional.embedding(input_ids, self.embed) + torch.nn.functional.embedding(position_ids, self.decoder.embed_positions.weight)
        mask = None
        if self.first:
            (encoder_hidden_states,) = state
            t = input_ids.shape[1]
            mask = torch.full((t, t), float("-inf")).triu(1)
        present, cross = [], []
        for i, layer in enumerate(layers):
            a = layer.self_attn
            h = layer.self_attn_layer_norm(x)
            q = a.split(a.q_proj(h) * a.head_dim ** -0.5)
            k, v = a.keys_values(h)
            if not self.first:
                k, v = torch.cat([state[4 * i], k], 2), torch.cat([state[4 * i + 1], v], 2)
            present += [k, v]
            x = x + attend(a, q, k, v, mask)
            c = layer.encoder_attn
            h = layer.encoder_attn_layer_norm(x)
            ck, cv = c.keys_values(encoder_hidden_states) if self.first else (state[4 * i + 2], state[4 * i + 3])
            cross += [ck, cv]
            x = x + attend(c, c.split(c.q_proj(h) * c.head_dim ** -0.5), ck, cv)
            x = x + layer.fc2(torch.nn.functional.gelu(layer.fc1(layer.final_layer_norm(x))))
        logits = self.decoder.layer_norm(x) @ self.embed.T
        if self.first:
            return (logits, *present, *cross)
        return (logits, *present)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("out")
    parser.add_argument("--start-tokens", type=int, default=3)
    opts = parser.parse_args()
    with open(os.path.join(opts.folder, "config.json")) as f:
        config = json.load(f)
    a = args_from_hf_config(config)
    model = WhisperForConditionalGeneration(a)
    model.load_hf_state_dict(load_safetensors(os.path.join(opts.folder, "model.safetensors")))
    model.eval()
    os.makedirs(opts.out, exist_ok=True)
    heads, head_dim = a.decoder_attention_heads, a.d_model // a.decoder_attention_heads
    features = torch.zeros(1, a.num_mel_bins, 2 * a.max_source_positions)
    with torch.no_grad():
        torch.onnx.export(Encoder(model), (features,), os.path.join(opts.out, "encoder_model.onnx"), opset_version=OPSET,
                          input_names=["input_features"], output_names=["last_hidden_state"])
        encoder_out = Encoder(model)(features)
        n = opts.start_tokens
        ids = torch.full((1, n), 50258, dtype=torch.int64)
        layer_names = lambda prefix, kinds: [f"{prefix}.{i}.{kind}" for i in range(a.decoder_layers) for kind in kinds]
        torch.onnx.export(DecoderStep(model, True), (ids, torch.arange(n)[None], encoder_out), os.path.join(opts.out, "decoder_model.onnx"),
                          opset_version=OPSET, input_names=["input_ids", "position_ids", "encoder_hidden_states"],
                          output_names=["logits", *layer_names("present", ["decoder.key", "decoder.value"]),
                                        *layer_names("present", ["encoder.key", "encoder.value"])])
        past = []
        for _ in range(a.decoder_layers):
            past += [torch.zeros(1, heads, n, head_dim), torch.zeros(1, heads, n, head_dim),
                     torch.zeros(1, heads, a.max_source_positions, head_dim), torch.zeros(1, heads, a.max_source_positions, head_dim)]
        past_names = layer_names("past_key_values", ["decoder.key", "decoder.value", "encoder.key", "encoder.value"])
        present_names = layer_names("present", ["decoder.key", "decoder.value"])
        dynamic = {name: {2: "past"} for name in past_names if ".decoder." in name}
        dynamic.update({name: {2: "total"} for name in present_names})
        torch.onnx.export(DecoderStep(model, False), (ids[:, :1], torch.tensor([[n]]), *past), os.path.join(opts.out, "decoder_with_past_model.onnx"),
                          opset_version=OPSET, input_names=["input_ids", "position_ids", *past_names],
                          output_names=["logits", *present_names], dynamic_axes=dynamic)
    print(opts.out)


if __name__ == "__main__":
    main()
