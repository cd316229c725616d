"""A Whisper in plain torch, numerically the same computation as Hugging Face
transformers' WhisperForConditionalGeneration, with HF parameter names, and
the log-mel features of WhisperFeatureExtractor.

    /usr/bin/python3 tools/train/whisper/whisper.py   # check both against ../shared/oracle/whisper_tiny_random

Needs Debian's python3-torch and python3-numpy. The model: conv1d stem
(k=3, strides 1 and 2, GELU), stored sinusoidal encoder positions, pre-LN
encoder and decoder layers (k_proj without bias, queries scaled by
head_dim^-0.5), learned decoder positions, cross-attention, final
LayerNorms (eps 1e-5), logits through the token embedding (`proj_out` tied,
not stored).
"""
import math
import os
import sys
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from llama import load_safetensors, save_safetensors  # noqa: E402,F401

SAMPLING_RATE = 16000
N_FFT = 400
HOP_LENGTH = 160
CHUNK_SECONDS = 30
N_SAMPLES = CHUNK_SECONDS * SAMPLING_RATE
N_FRAMES = N_SAMPLES // HOP_LENGTH


@dataclass
class WhisperArgs:
    vocab_size: int
    d_model: int = 256
    encoder_layers: int = 4
    decoder_layers: int = 4
    encoder_attention_heads: int = 4
    decoder_attention_heads: int = 4
    encoder_ffn_dim: int = 1024
    decoder_ffn_dim: int = 1024
    num_mel_bins: int = 80
    max_source_positions: int = 1500
    max_target_positions: int = 448


def args_from_hf_config(c):
    return WhisperArgs(**{k: c[k] for k in WhisperArgs.__dataclass_fields__})


# ---------------------------------------------------------------- features

def _hertz_to_mel(f):
    f = np.asarray(f, dtype=np.float64)
    mel = 3.0 * f / 200.0
    log_region = f >= 1000.0
    logstep = 27.0 / np.log(6.4)
    return np.where(log_region, 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) * logstep, mel)


def _mel_to_hertz(m):
    m = np.asarray(m, dtype=np.float64)
    f = 200.0 * m / 3.0
    logstep = np.log(6.4) / 27.0
    return np.where(m >= 15.0, 1000.0 * np.exp(logstep * (m - 15.0)), f)


def mel_filters(n_mels, sampling_rate=SAMPLING_RATE, n_fft=N_FFT):
    """Slaney-scale, Slaney-normalised triangular filters [n_fft/2+1, n_mels], as transformers' mel_filter_bank."""
    fft_freqs = np.linspace(0, sampling_rate // 2, n_fft // 2 + 1)
    filter_freqs = _mel_to_hertz(np.linspace(_hertz_to_mel(0.0), _hertz_to_mel(sampling_rate / 2), n_mels + 2))
    diff = np.diff(filter_freqs)
    slopes = filter_freqs[None, :] - fft_freqs[:, None]
    down = -slopes[:, :-2] / diff[:-1]
    up = slopes[:, 2:] / diff[1:]
    filters = np.maximum(0.0, np.minimum(down, up))
    return filters * (2.0 / (filter_freqs[2:n_mels + 2] - filter_freqs[:n_mels]))[None, :]


class LogMel:
    """WhisperFeatureExtractor's torch path: pad/trim to 30 s, reflect-padded periodic-Hann STFT,
    power spectrum without the last frame, mel, log10 (clamp 1e-10), max-8 floor, (x+4)/4."""

    def __init__(self, n_mels):
        self.filters = torch.from_numpy(mel_filters(n_mels)).float()
        self.window = torch.hann_window(N_FFT)

    def __call__(self, audio):
        """audio: float tensor [B, samples] or [samples] at 16 kHz -> [B, n_mels, 3000]."""
        x = torch.as_tensor(audio, dtype=torch.float32)
        if x.dim() == 1:
            x = x[None]
        x = F.pad(x[:, :N_SAMPLES], (0, max(0, N_SAMPLES - x.shape[1])))
        spec = torch.stft(x, N_FFT, HOP_LENGTH, window=self.window, center=True, pad_mode="reflect",
                          return_complex=True)[..., :-1].abs() ** 2
        log_spec = torch.clamp(self.filters.T @ spec, min=1e-10).log10()
        log_spec = torch.maximum(log_spec, log_spec.amax(dim=(1, 2), keepdim=True) - 8.0)
        return (log_spec + 4.0) / 4.0


# ---------------------------------------------------------------- model

def sinusoids(length, channels, max_timescale=10000):
    inc = math.log(max_timescale) / (channels // 2 - 1)
    inv = torch.exp(-inc * torch.arange(channels // 2, dtype=torch.float32))
    t = torch.arange(length, dtype=torch.float32)[:, None] * inv[None, :]
    return torch.cat([torch.sin(t), torch.cos(t)], dim=1)


class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads, self.head_dim = heads, d // heads
        self.q_proj = nn.Linear(d, d)
        self.k_proj = nn.Linear(d, d, bias=False)
        self.v_proj = nn.Linear(d, d)
        self.out_proj = nn.Linear(d, d)

    def split(self, x):
        b, t, _ = x.shape
        return x.view(b, t, self.heads, self.head_dim).transpose(1, 2)

    def keys_values(self, src):
        return self.split(self.k_proj(src)), self.split(self.v_proj(src))

    def forward(self, x, kv=None, causal=False, keep_weights=False, cached_kv=None):
        q = self.split(self.q_proj(x) * self.head_dim ** -0.5)
        k, v = cached_kv if cached_kv is not None else self.keys_values(x if kv is None else kv)
        scores = q @ k.transpose(-1, -2)
        if causal:
            t = x.shape[1]
            scores = scores.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf"))
        weights = scores.softmax(-1)
        self.last_weights = weights.detach() if keep_weights else None
        out = (weights @ v).transpose(1, 2).reshape(x.shape)
        return self.out_proj(out)


class EncoderLayer(nn.Module):
    def __init__(self, a):
        super().__init__()
        d = a.d_model
        self.self_attn = Attention(d, a.encoder_attention_heads)
        self.self_attn_layer_norm = nn.LayerNorm(d, eps=1e-5)
        self.fc1 = nn.Linear(d, a.encoder_ffn_dim)
        self.fc2 = nn.Linear(a.encoder_ffn_dim, d)
        self.final_layer_norm = nn.LayerNorm(d, eps=1e-5)

    def forward(self, x):
        x = x + self.self_attn(self.self_attn_layer_norm(x))
        return x + self.fc2(F.gelu(self.fc1(self.final_layer_norm(x))))


class DecoderLayer(nn.Module):
    def __init__(self, a):
        super().__init__()
        d = a.d_model
        self.self_attn = Attention(d, a.decoder_attention_heads)
        self.self_attn_layer_norm = nn.LayerNorm(d, eps=1e-5)
        self.encoder_attn = Attention(d, a.decoder_attention_heads)
        self.encoder_attn_layer_norm = nn.LayerNorm(d, eps=1e-5)
        self.fc1 = nn.Linear(d, a.decoder_ffn_dim)
        self.fc2 = nn.Linear(a.decoder_ffn_dim, d)
        self.final_layer_norm = nn.LayerNorm(d, eps=1e-5)

    def forward(self, x, enc, keep_weights=False, cross_kv=None):
        x = x + self.self_attn(self.self_attn_layer_norm(x), causal=True)
        x = x + self.encoder_attn(self.encoder_attn_layer_norm(x), kv=enc, keep_weights=keep_weights,
                                  cached_kv=cross_kv)
        return x + self.fc2(F.gelu(self.fc1(self.final_layer_norm(x))))


def conv1d_k3(conv, x, stride):
    """conv(x) for a kernel-3, padding-1 Conv1d."""
    cols = F.pad(x, (1, 1)).unfold(2, 3, stride)  # [batch, channels, frames, 3]
    return torch.einsum("bctk,ock->bot", cols, conv.weight) + conv.bias[:, None]


class Encoder(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.conv1 = nn.Conv1d(a.num_mel_bins, a.d_model, 3, padding=1)
        self.conv2 = nn.Conv1d(a.d_model, a.d_model, 3, stride=2, padding=1)
        self.embed_positions = nn.Embedding(a.max_source_positions, a.d_model)
        self.embed_positions.weight.data.copy_(sinusoids(a.max_source_positions, a.d_model))
        self.embed_positions.weight.requires_grad_(False)
        self.layers = nn.ModuleList(EncoderLayer(a) for _ in range(a.encoder_layers))
        self.layer_norm = nn.LayerNorm(a.d_model, eps=1e-5)

    def forward(self, features):
        # The stem is written as unfold + matmul, in float32: Debian torch 1.13's CPU conv1d backward gave
        # run-to-run different, sometimes inf, weight gradients here (the forward is the same as Conv1d's).
        with torch.autocast("cpu", enabled=False):
            x = F.gelu(conv1d_k3(self.conv1, features.float(), 1))
            x = F.gelu(conv1d_k3(self.conv2, x, 2)).transpose(1, 2)
        x = x + self.embed_positions.weight[:x.shape[1]]
        for layer in self.layers:
            x = layer(x)
        return self.layer_norm(x)


class Decoder(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.embed_tokens = nn.Embedding(a.vocab_size, a.d_model)
        self.embed_positions = nn.Embedding(a.max_target_positions, a.d_model)
        self.layers = nn.ModuleList(DecoderLayer(a) for _ in range(a.decoder_layers))
        self.layer_norm = nn.LayerNorm(a.d_model, eps=1e-5)

    def cross_keys_values(self, enc):
        """Each layer's cross-attention keys and values, computed once per audio window."""
        return [layer.encoder_attn.keys_values(enc) for layer in self.layers]

    def forward(self, ids, enc, keep_weights=False, cross_kv=None):
        x = self.embed_tokens(ids) + self.embed_positions.weight[:ids.shape[1]]
        for i, layer in enumerate(self.layers):
            x = layer(x, enc, keep_weights, None if cross_kv is None else cross_kv[i])
        return self.layer_norm(x)


class WhisperModel(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.encoder = Encoder(a)
        self.decoder = Decoder(a)


class WhisperForConditionalGeneration(nn.Module):
    def __init__(self, a: WhisperArgs):
        super().__init__()
        self.a = a
        self.model = WhisperModel(a)
        self.apply(self._init)

    def _init(self, m):
        if isinstance(m, nn.Conv1d):
            # He-normal, not 0.02: with 0.02 the stem's output is ~20x smaller than the sinusoidal positions it is
            # added to, so the encoder starts out seeing positions only and learns to follow the audio slowly.
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding) and m.weight.requires_grad:
            nn.init.normal_(m.weight, std=0.02)

    def logits(self, hidden):
        return hidden @ self.model.decoder.embed_tokens.weight.T

    def forward(self, features, ids):
        enc = self.model.encoder(features)
        return self.logits(self.model.decoder(ids, enc))

    def hf_state_dict(self):
        """What model.safetensors holds: every parameter and the sinusoids, no proj_out."""
        return {k: v.detach().float().contiguous() for k, v in self.state_dict().items()}

    def load_hf_state_dict(self, tensors):
        missing, unexpected = self.load_state_dict({k: torch.as_tensor(np.array(v)) for k, v in tensors.items()},
                                                   strict=False)
        if missing or unexpected:
            raise ValueError("missing %s, unexpected %s" % (missing, unexpected))


def hf_config_dict(a: WhisperArgs, *, decoder_start_token_id, eos_token_id, begin_suppress_tokens,
                   suppress_tokens, transformers_version="4.47.1"):
    """The keys WhisperConfig.save_pretrained() writes for this model."""
    return {
        "activation_dropout": 0.0, "activation_function": "gelu", "apply_spec_augment": False,
        "architectures": ["WhisperForConditionalGeneration"], "attention_dropout": 0.0,
        "begin_suppress_tokens": begin_suppress_tokens, "bos_token_id": eos_token_id,
        "classifier_proj_size": 256, "d_model": a.d_model,
        "decoder_attention_heads": a.decoder_attention_heads, "decoder_ffn_dim": a.decoder_ffn_dim,
        "decoder_layerdrop": 0.0, "decoder_layers": a.decoder_layers,
        "decoder_start_token_id": decoder_start_token_id, "dropout": 0.0,
        "encoder_attention_heads": a.encoder_attention_heads, "encoder_ffn_dim": a.encoder_ffn_dim,
        "encoder_layerdrop": 0.0, "encoder_layers": a.encoder_layers, "eos_token_id": eos_token_id,
        "init_std": 0.02, "is_encoder_decoder": True, "mask_feature_length": 10, "mask_feature_min_masks": 0,
        "mask_feature_prob": 0.0, "mask_time_length": 10, "mask_time_min_masks": 2, "mask_time_prob": 0.05,
        "max_length": a.max_target_positions, "max_source_positions": a.max_source_positions,
        "max_target_positions": a.max_target_positions, "median_filter_width": 7, "model_type": "whisper",
        "num_hidden_layers": a.encoder_layers, "num_mel_bins": a.num_mel_bins, "pad_token_id": eos_token_id,
        "scale_embedding": False, "suppress_tokens": suppress_tokens, "torch_dtype": "float32",
        "transformers_version": transformers_version, "use_cache": True, "use_weighted_layer_sum": False,
        "vocab_size": a.vocab_size,
    }


def check_against_oracle(folder):
    """Max abs differences to the upstream reference files of a whisper oracle folder."""
    import json
    with open(os.path.join(folder, "config.json")) as f:
        a = args_from_hf_config(json.load(f))
    model = WhisperForConditionalGeneration(a)
    model.load_hf_state_dict(load_safetensors(os.path.join(folder, "model.safetensors")))
    model.eval()
    ref = {n: np.load(os.path.join(folder, n + ".npy")) for n in
           ("waveform_16k", "input_features", "mel_filters", "encoder_last_hidden_state", "decoder_input_ids",
            "logits")}
    feats = LogMel(a.num_mel_bins)(torch.from_numpy(ref["waveform_16k"]))
    with torch.no_grad():
        enc = model.model.encoder(torch.from_numpy(ref["input_features"]))
        logits = model.logits(model.model.decoder(torch.from_numpy(ref["decoder_input_ids"]).long(), enc))
    return {
        "mel_filters": float(np.abs(mel_filters(a.num_mel_bins) - ref["mel_filters"]).max()),
        "input_features": float((feats - torch.from_numpy(ref["input_features"])).abs().max()),
        "encoder_last_hidden_state": float((enc - torch.from_numpy(ref["encoder_last_hidden_state"])).abs().max()),
        "logits": float((logits - torch.from_numpy(ref["logits"])).abs().max()),
        "logits_scale": float(np.abs(ref["logits"]).max()),
    }


if __name__ == "__main__":
    repo = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(repo), "shared", "oracle",
                                                                "whisper_tiny_random")
    diffs = check_against_oracle(folder)
    print(diffs)
    tol = 1e-4 * max(1.0, diffs["logits_scale"])
    ok = all(diffs[k] <= 1e-4 for k in ("input_features", "encoder_last_hidden_state")) and diffs["logits"] <= tol
    print("OK" if ok else "MISMATCH")
    sys.exit(0 if ok else 1)
