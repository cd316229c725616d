#!/usr/bin/python3
"""Train whisper-kjv-tiny on espeak-ng speech of the KJV for a fixed wall-clock budget.

    /usr/bin/python3 tools/train/whisper/tokenizer.py            # models/whisper-kjv-tiny/tokenizer.json
    /usr/bin/python3 tools/train/whisper/speech.py --passages 3000  # can still be running when training starts
    nice -n 10 /usr/bin/python3 tools/train/whisper/train.py --minutes 60 [--resume]
    /usr/bin/python3 tools/train/whisper/export.py               # evaluate and write the model folder

Needs Debian's python3-torch, python3-numpy, python3-regex; libopenblas0-serial
makes it ~30x faster than the reference BLAS (the script re-executes itself
with it first on LD_LIBRARY_PATH, as tools/train/train_model.py does).

Each example is one window packed from consecutive verses of one
synthesised passage (one voice), with silence of random length before and
between them, a random gain and, mostly, white or pink noise. Windows are 30 s
(Whisper's) in the last 20% of the budget; before, a cheaper warm-up: 10 s in
the first 45%, then growing (attention cost grows with the square). Targets are
Whisper's: `<|startoftranscript|><|0.00|> text<|t|><|t|> text<|t|><|endoftext|>`
(English-only, like openai/whisper-*.en: no language or task token) with the
utterance boundaries as timestamps, or `<|startoftranscript|><|notimestamps|>
text<|endoftext|>`. When the next verse does not fit, some windows cut it at
30 s and end with its start time alone, as Whisper's training data does for
a segment that runs past the window. An auxiliary CTC head on the encoder
output, over characters (not exported), speeds up learning the alignment
from scratch: without it the decoder first learns a KJV language model that
ignores the audio.
Checkpoints go to tools/train/work/whisper_checkpoint.pt every few minutes;
--resume continues a stopped run on the same clock.
"""
import os
import sys

_OPENBLAS = "/usr/lib/x86_64-linux-gnu/openblas-serial"
if __name__ == "__main__" and os.path.isdir(_OPENBLAS) and os.environ.get("WAX_TRAIN_BLAS") is None:
    env = dict(os.environ, WAX_TRAIN_BLAS=_OPENBLAS, OPENBLAS_NUM_THREADS="1",
               LD_LIBRARY_PATH=_OPENBLAS + (":" + os.environ["LD_LIBRARY_PATH"] if os.environ.get("LD_LIBRARY_PATH") else ""))
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

import argparse  # noqa: E402
import math  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
from collections import OrderedDict  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import speech  # noqa: E402
from tokenizer import DEFAULT_OUT, WhisperTokenizer  # noqa: E402
from whisper import N_SAMPLES, SAMPLING_RATE, LogMel, WhisperArgs, WhisperForConditionalGeneration  # noqa: E402

CHECKPOINT = os.path.join(speech.corpus.WORK, "whisper_checkpoint.pt")
IGNORE = -100


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


class Audio:
    """Reads utterances out of the speech shards (memory-mapped)."""

    def __init__(self):
        self.maps = {}

    def __call__(self, path, u):
        m = self.maps.get(path)
        if m is None or len(m) < u["offset"] + u["length"]:
            m = self.maps[path] = np.memmap(path, dtype="<i2", mode="r")
        return m[u["offset"]:u["offset"] + u["length"]].astype(np.float32) / 32768.0


def passages(index, voices=None):
    grouped = OrderedDict()
    for path, u in index:
        if voices and u["voice"] not in voices:
            continue
        grouped.setdefault(u["passage"], []).append((path, u))
    return list(grouped.values())


def noise(n, rng, color):
    white = rng.standard_normal(n).astype(np.float32)
    if color == "white":
        return white
    spectrum = np.fft.rfft(white)
    spectrum /= np.sqrt(np.maximum(np.arange(len(spectrum)), 1.0))
    pink = np.fft.irfft(spectrum, n).astype(np.float32)
    return pink / (pink.std() + 1e-8)


def pack_window(passage, rng, *, short, cut_allowed, window_s=N_SAMPLES / SAMPLING_RATE):
    """Utterances laid out on a window_s timeline: [(start s, end s, path, utterance)], cut start or None."""
    k = rng.randrange(len(passage))
    limit = rng.randint(1, 2) if short else len(passage)
    t = rng.uniform(0.0, 1.0)
    segments, cut = [], None
    while k < len(passage) and len(segments) < limit:
        path, u = passage[k]
        duration = u["length"] / SAMPLING_RATE
        if t + duration > window_s - 0.05:
            if cut_allowed and segments and t < window_s - 1.0 and rng.random() < 0.35:
                cut = (t, path, u)
            break
        segments.append((t, t + duration, path, u))
        t += duration + rng.uniform(0.15, 1.2)
        k += 1
    return segments, cut


def render(segments, cut, rng, audio, window, noise_share):
    """The window's samples: speech, silence, gain, noise (zero-padded to 30 s later by LogMel)."""
    if cut is not None or rng.random() < 0.4:
        length = window
    else:
        length = min(window, int((segments[-1][1] + rng.uniform(0.1, 2.0)) * SAMPLING_RATE))
    x = np.zeros(length, np.float32)
    for start, _, path, u in segments:
        s = int(round(start * SAMPLING_RATE))
        y = audio(path, u)[:length - s]
        x[s:s + len(y)] += y
    if cut is not None:
        s = int(round(cut[0] * SAMPLING_RATE))
        y = audio(cut[1], cut[2])[:length - s]
        x[s:s + len(y)] += y
    x *= rng.uniform(0.1, 0.95) / (np.abs(x).max() + 1e-8)
    if rng.random() < noise_share:
        speech_rms = np.sqrt(np.mean(x[x != 0] ** 2)) if np.any(x != 0) else 0.1
        snr_db = rng.uniform(8.0, 40.0)
        x += noise(length, rng, rng.choice(["white", "pink"])) * speech_rms * 10 ** (-snr_db / 20)
    return x


CTC_CHARS = " abcdefghijklmnopqrstuvwxyz'"  # CTC classes 1..28; 0 is the blank


def ctc_chars(text):
    """Letters, apostrophes and single spaces of the lower-cased text, as CTC class ids."""
    kept = "".join(c if c in CTC_CHARS else " " for c in text.lower())
    return [CTC_CHARS.index(c) + 1 for c in " ".join(kept.split())]


def targets(segments, cut, tok, timestamps):
    """Decoder ids from <|startoftranscript|> through <|endoftext|>, and the characters for CTC."""
    text_ids = [tok.encode_ordinary(" " + u["text"]) for _, _, _, u in segments]
    ids = [tok.sot]
    if timestamps:
        for (start, end, _, _), t in zip(segments, text_ids):
            ids += [tok.timestamp(start)] + t + [tok.timestamp(end)]
        if cut is not None:
            ids.append(tok.timestamp(cut[0]))
    else:
        ids.append(tok.no_timestamps)
        for t in text_ids:
            ids += t
    ids.append(tok.eot)
    return ids, ctc_chars(" ".join(u["text"] for _, _, _, u in segments))


def make_batch(plist, batch, rng, nprng, tok, audio, logmel, window_s, noise_share, timestamp_fraction=0.7):
    """Features of batch windows of window_s seconds (30: Whisper's; shorter ones are a cheaper warm-up)."""
    feats, seqs, ctc_targets = [], [], []
    frames = int(window_s * SAMPLING_RATE) // 160
    while len(seqs) < batch:
        timestamps = rng.random() < timestamp_fraction
        segments, cut = pack_window(rng.choice(plist), rng, short=rng.random() < 0.2, cut_allowed=timestamps,
                                    window_s=window_s)
        if not segments:
            continue
        x = render(segments, cut, nprng, audio, int(window_s * SAMPLING_RATE), noise_share)
        ids, text = targets(segments, cut, tok, timestamps)
        if len(ids) > 448:
            continue
        feats.append(logmel(torch.from_numpy(x))[0, :, :frames])
        seqs.append(ids)
        ctc_targets.append(text if cut is None else None)
    n = max(len(s) for s in seqs) - 1
    inputs = torch.full((batch, n), tok.eot, dtype=torch.long)
    labels = torch.full((batch, n), IGNORE, dtype=torch.long)
    for b, s in enumerate(seqs):
        inputs[b, :len(s) - 1] = torch.tensor(s[:-1])
        lab = torch.tensor(s[1:])
        lab[lab == tok.no_timestamps] = IGNORE  # a choice of the caller, not something to predict
        labels[b, :len(s) - 1] = lab
    return torch.stack(feats), inputs, labels, ctc_targets


def ctc_loss(ctc_head, enc, ctc_targets, blank=0):
    rows = [b for b, t in enumerate(ctc_targets) if t]
    if not rows:
        return enc.sum() * 0.0
    logp = ctc_head(enc[rows]).float().log_softmax(-1).transpose(0, 1)
    flat = torch.tensor([i for b in rows for i in ctc_targets[b]], dtype=torch.long)
    lengths = torch.tensor([len(ctc_targets[b]) for b in rows], dtype=torch.long)
    frames = torch.full((len(rows),), logp.shape[0], dtype=torch.long)
    return F.ctc_loss(logp, flat, frames, lengths, blank=blank, zero_infinity=True)


def model_args(a, vocab_size):
    return WhisperArgs(vocab_size=vocab_size, d_model=a.d_model, encoder_layers=a.encoder_layers,
                       decoder_layers=a.decoder_layers, encoder_attention_heads=a.heads,
                       decoder_attention_heads=a.heads, encoder_ffn_dim=4 * a.d_model, decoder_ffn_dim=4 * a.d_model)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=60.0, help="wall-clock training budget")
    ap.add_argument("--resume", action="store_true", help="continue from tools/train/work/whisper_checkpoint.pt")
    ap.add_argument("--tokenizer", default=os.path.join(DEFAULT_OUT, "tokenizer.json"))
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--lr", type=float, default=1.5e-3)
    ap.add_argument("--min-lr-frac", type=float, default=0.05)
    ap.add_argument("--warmup", type=int, default=40, help="warmup steps")
    ap.add_argument("--weight-decay", type=float, default=0.05)
    ap.add_argument("--ctc-weight", type=float, default=0.5)
    ap.add_argument("--init-from", help="a new run starting from the model weights of this checkpoint")
    ap.add_argument("--warmup-window", type=float, default=15.0,
                    help="seconds of audio per window in the first --short-fraction of the budget")
    ap.add_argument("--short-fraction", type=float, default=0.45)
    ap.add_argument("--full-fraction", type=float, default=0.8,
                    help="windows grow linearly from --warmup-window to 30 s between --short-fraction and this")
    ap.add_argument("--d-model", type=int, default=192)
    ap.add_argument("--encoder-layers", type=int, default=3)
    ap.add_argument("--decoder-layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--threads", type=int, default=1, help="1 is fastest on a loaded machine: more threads wait on each other")
    ap.add_argument("--checkpoint-minutes", type=float, default=4.0)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--voices", help="comma-separated espeak-ng voices to train on (default: all)")
    ap.add_argument("--noise", type=float, default=0.75, help="share of windows with added noise")
    ap.add_argument("--dtype", choices=("bfloat16", "float32"), default="bfloat16")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    tok = WhisperTokenizer(args.tokenizer)
    state = torch.load(CHECKPOINT) if args.resume else None
    if state is not None:
        saved = state["args"]
        for k in ("d_model", "encoder_layers", "decoder_layers", "heads"):
            setattr(args, k, saved[k])
    torch.manual_seed(args.seed + (state["step"] if state else 0))
    rng = random.Random(args.seed + (state["step"] if state else 0))
    nprng = np.random.default_rng(args.seed + (state["step"] if state else 0))
    a = model_args(args, tok.vocab_size)
    model = WhisperForConditionalGeneration(a)
    ctc_head = torch.nn.Linear(a.d_model, len(CTC_CHARS) + 1)
    params = [p for p in model.parameters() if p.requires_grad] + list(ctc_head.parameters())
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.98), eps=1e-8)
    step, trained_s, history = 0, 0.0, []
    if state is not None:
        model.load_state_dict(state["model"])
        ctc_head.load_state_dict(state["ctc_head"])
        opt.load_state_dict(state["opt"])
        step, trained_s, history = state["step"], state["trained_s"], state["history"]
        log("resumed at step %d, %.1f min trained" % (step, trained_s / 60))
    elif args.init_from:
        start_state = torch.load(args.init_from)
        model.load_state_dict(start_state["model"])
        ctc_head.load_state_dict(start_state["ctc_head"])
        log("model and CTC head weights from %s" % args.init_from)
    n_params = sum(v.numel() for v in model.state_dict().values())
    log("torch %s, %d threads, BLAS %s; model %s: %d stored parameters (%.1f MB F32)"
        % (torch.__version__, torch.get_num_threads(), os.environ.get("WAX_TRAIN_BLAS", "system default"), a,
           n_params, n_params * 4 / 1e6))

    voices = set(args.voices.split(",")) if args.voices else None
    audio, logmel = Audio(), LogMel(a.num_mel_bins)
    plist = passages(speech.load_index(), voices)
    budget = args.minutes * 60.0
    start = time.time() - trained_s
    last_save = time.time()
    ema = None

    def save():
        torch.save({"model": model.state_dict(), "ctc_head": ctc_head.state_dict(), "opt": opt.state_dict(),
                    "step": step, "trained_s": time.time() - start, "history": history, "args": vars(args),
                    "model_args": dict(a.__dict__)}, CHECKPOINT + ".tmp")
        os.replace(CHECKPOINT + ".tmp", CHECKPOINT)

    while time.time() - start < budget:
        if step % 50 == 0:
            plist = passages(speech.load_index(), voices)
        frac = (time.time() - start) / budget
        lr = args.lr * (args.min_lr_frac + (1 - args.min_lr_frac) * 0.5 * (1 + math.cos(math.pi * frac)))
        if step < args.warmup:
            lr *= (step + 1) / args.warmup
        for group in opt.param_groups:
            group["lr"] = lr
        t0 = time.time()
        full_s = N_SAMPLES / SAMPLING_RATE
        ramp = min(1.0, max(0.0, (frac - args.short_fraction) / max(1e-9, args.full_fraction - args.short_fraction)))
        window_s = float(round(args.warmup_window + ramp * (full_s - args.warmup_window)))
        feats, inputs, labels, ctc_targets = make_batch(plist, args.batch, rng, nprng, tok, audio, logmel, window_s, args.noise)
        t_data = time.time() - t0
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.dtype == "bfloat16"):
            enc = model.model.encoder(feats)
            logits = model.logits(model.model.decoder(inputs, enc))
            ctc = ctc_loss(ctc_head, enc, ctc_targets)
        ce = F.cross_entropy(logits.float().flatten(0, 1), labels.flatten(), ignore_index=IGNORE)
        loss = ce + args.ctc_weight * ctc
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gn = float(torch.nn.utils.clip_grad_norm_(params, 1.0))
        opt.step()
        step += 1
        ema = float(ce) if ema is None else 0.95 * ema + 0.05 * float(ce)
        if step % 10 == 0 or step == 1:
            el = time.time() - start
            log("step %5d  %5.1f min  %2.0f s windows  ce %.3f  ema %.3f  ctc %.3f  lr %.2e  gnorm %.2f  data %.2fs  step %.2fs  %d passages"
                % (step, el / 60, window_s, float(ce), ema, float(ctc), lr, gn, t_data, time.time() - t0, len(plist)))
            history.append((round(el / 60, 2), step, round(ema, 4), round(float(ctc), 4)))
        if time.time() - last_save > args.checkpoint_minutes * 60:
            save()
            last_save = time.time()
    save()
    log("done: %d steps, %.1f min, %d windows" % (step, (time.time() - start) / 60, step * args.batch))


if __name__ == "__main__":
    main()
