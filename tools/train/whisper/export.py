#!/usr/bin/python3
"""Evaluate the trained whisper-kjv-tiny on held-out espeak-ng speech and write
the model folder and the test recordings.

    /usr/bin/python3 tools/train/whisper/export.py [--out models/whisper-kjv-tiny]
                                                   [--fixtures tests/fixtures/whisper-kjv-eval]

Reads tools/train/work/whisper_checkpoint.pt (train.py). Needs python3-torch,
python3-numpy, python3-regex, espeak-ng, sox and the KJV (see speech.py).

Held-out speech is the book of Ruth (never synthesised for training), spoken
by voices drawn as in training (speech.random_voice, fixed seeds):
  * sentences: single verses, each its own clip, decoded greedily with
    `<|notimestamps|>` and, separately, with timestamps -> word error rate;
  * windows: 3-4 consecutive verses with pauses in one 30 s window, decoded
    with timestamps -> WER and the error of the segment boundaries against
    the known utterance boundaries; the cross-attention of each decoder head
    on these windows picks `alignment_heads`.
Greedy decoding applies generation_config.json's suppression and the
timestamp rules of transformers' WhisperTimeStampLogitsProcessor.
"""
import os
import sys

_OPENBLAS = "/usr/lib/x86_64-linux-gnu/openblas-serial"
if __name__ == "__main__" and os.path.isdir(_OPENBLAS) and os.environ.get("WAX_TRAIN_BLAS") is None:
    env = dict(os.environ, WAX_TRAIN_BLAS=_OPENBLAS, OPENBLAS_NUM_THREADS="1",
               LD_LIBRARY_PATH=_OPENBLAS + (":" + os.environ["LD_LIBRARY_PATH"] if os.environ.get("LD_LIBRARY_PATH") else ""))
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402
import wave  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import speech  # noqa: E402
from tokenizer import DEFAULT_OUT, LANGUAGES, REPO, WhisperTokenizer  # noqa: E402
from train import CHECKPOINT  # noqa: E402
from whisper import (N_SAMPLES, SAMPLING_RATE, LogMel, WhisperArgs, WhisperForConditionalGeneration,  # noqa: E402
                     hf_config_dict, load_safetensors, save_safetensors)

DEFAULT_FIXTURES = os.path.join(REPO, "tests", "fixtures", "whisper-kjv-eval")
MAX_INITIAL_TIMESTAMP_INDEX = 50
NEG = float("-inf")


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


# ---------------------------------------------------------------- generation config

def generation_config(tok, alignment_heads):
    a = tok.added
    never_trained = [a["<|startoftranscript|>"]] + [a["<|%s|>" % c] for c in LANGUAGES] + \
        [a[t] for t in ("<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>", "<|nospeech|>")]
    return {
        "alignment_heads": alignment_heads,
        "begin_suppress_tokens": [tok.vocab["Ġ"], tok.eot],
        "bos_token_id": tok.eot,
        "decoder_start_token_id": tok.sot,
        "eos_token_id": tok.eot,
        "is_multilingual": False,
        "max_initial_timestamp_index": MAX_INITIAL_TIMESTAMP_INDEX,
        "max_length": 448,
        "no_timestamps_token_id": tok.no_timestamps,
        "pad_token_id": tok.eot,
        "prev_sot_token_id": a["<|startofprev|>"],
        "return_timestamps": False,
        "suppress_tokens": sorted(never_trained),
        "transformers_version": "4.47.1",
    }


PREPROCESSOR_CONFIG = {
    "chunk_length": N_SAMPLES // SAMPLING_RATE, "feature_extractor_type": "WhisperFeatureExtractor",
    "feature_size": 80, "hop_length": 160, "n_fft": 400, "n_samples": N_SAMPLES, "nb_max_frames": N_SAMPLES // 160,
    "padding_side": "right", "padding_value": 0.0, "processor_class": "WhisperProcessor",
    "return_attention_mask": False, "sampling_rate": SAMPLING_RATE,
}


# ---------------------------------------------------------------- decoding

def apply_rules(scores, ids, begin, tok, gen, timestamps):
    """Suppression and WhisperTimeStampLogitsProcessor's rules on one row of logits (in place)."""
    scores[gen["suppress_tokens"]] = NEG
    if len(ids) == begin:
        scores[gen["begin_suppress_tokens"]] = NEG
    if not timestamps:
        return scores
    tb = tok.timestamp_begin
    scores[tok.no_timestamps] = NEG
    seq = ids[begin:]
    last_ts = len(seq) >= 1 and seq[-1] >= tb
    penultimate_ts = len(seq) < 2 or seq[-2] >= tb
    if last_ts:
        if penultimate_ts:
            scores[tb:] = NEG
        else:
            scores[:tok.eot] = NEG
    stamps = [i for i in seq if i >= tb]
    if stamps:
        last = stamps[-1] if (last_ts and not penultimate_ts) else stamps[-1] + 1
        scores[tb:last] = NEG
    if len(ids) == begin:
        scores[:tb] = NEG
        scores[tb + gen["max_initial_timestamp_index"] + 1:] = NEG
    logprobs = scores.log_softmax(-1)
    if logprobs[tb:].logsumexp(-1) > logprobs[:tb].max():
        scores[:tb] = NEG
    return scores


@torch.no_grad()
def greedy(model, features, tok, gen, timestamps, max_new=220, keep_weights=False):
    """Generated ids after the prompt; with keep_weights, also each step's cross-attention [layers, heads, frames]."""
    enc = model.model.encoder(features)
    cross = model.model.decoder.cross_keys_values(enc)
    ids = [tok.sot] + ([] if timestamps else [tok.no_timestamps])
    begin = len(ids)
    for _ in range(max_new):
        hidden = model.model.decoder(torch.tensor([ids]), enc, cross_kv=cross)
        scores = apply_rules(model.logits(hidden[0, -1]).clone(), ids, begin, tok, gen, timestamps)
        nxt = int(scores.argmax())
        ids.append(nxt)
        if nxt == tok.eot:
            break
    out = ids[begin:]
    if not keep_weights:
        return out
    model.model.decoder(torch.tensor([ids[:-1]]), enc, keep_weights=True, cross_kv=cross)
    weights = torch.stack([layer.encoder_attn.last_weights[0] for layer in model.model.decoder.layers])
    return out, weights[:, :, begin - 1:]  # row j: the attention that predicted out[j]


def segments_of(ids, tok):
    """[(start s, end s, text)] from timestamped ids; a trailing lone start time gives no segment."""
    out, start, text = [], None, []
    for i in ids:
        if i >= tok.timestamp_begin:
            t = (i - tok.timestamp_begin) * 0.02
            if start is None:
                start, text = t, []
            else:
                out.append((start, t, tok.decode(text).strip()))
                start = None
        elif i < tok.eot:
            text.append(i)
    return out


# ---------------------------------------------------------------- metrics

def words(text):
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("-", " ")).split()


def edit_distance(ref, hyp):
    row = list(range(len(hyp) + 1))
    for i in range(1, len(ref) + 1):
        prev, row[0] = row[0], i
        for j in range(1, len(hyp) + 1):
            cur = min(row[j] + 1, row[j - 1] + 1, prev + (ref[i - 1] != hyp[j - 1]))
            prev, row[j] = row[j], cur
    return row[len(hyp)]


def wer(pairs):
    errors = sum(edit_distance(words(r), words(h)) for r, h in pairs)
    return errors / max(1, sum(len(words(r)) for r, _ in pairs))


# ---------------------------------------------------------------- held-out speech

def voice_name(v):
    return "%s%s %d wpm pitch %d%s%s" % (v["voice"], "+" + v["variant"] if v["variant"] else "", v["wpm"], v["pitch"],
                                         " tempo %.3f" % v["tempo"] if v["tempo"] != 1.0 else "",
                                         " via 8 kHz" if v["band_limit"] else "")


def held_out_verses():
    return [("%s %d:%d" % (book, number, k + 1), text)
            for book, number, verses in speech.held_out_chapters() for k, text in enumerate(verses)]


def lay_out(utterances, rng, lead=(0.2, 0.8), gap=(0.3, 0.9), tail=0.5):
    """Concatenate utterances with pauses: samples and [(start s, end s)]."""
    t = rng.uniform(*lead)
    spans = []
    for x in utterances:
        spans.append((t, t + len(x) / SAMPLING_RATE))
        t += len(x) / SAMPLING_RATE + rng.uniform(*gap)
    total = int((spans[-1][1] + tail) * SAMPLING_RATE)
    out = np.zeros(total, np.float32)
    for (s, _), x in zip(spans, utterances):
        i = int(round(s * SAMPLING_RATE))
        out[i:i + len(x)] += x
    return out, [(round(s, 3), round(e, 3)) for s, e in spans]


def add_noise(x, rng, snr_db):
    rms = np.sqrt(np.mean(x[x != 0] ** 2))
    return x + rng.standard_normal(len(x)).astype(np.float32) * rms * 10 ** (-snr_db / 20)


def write_wav(path, x):
    pcm = np.clip(np.round(x * 32767.0), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLING_RATE)
        w.writeframes(pcm.tobytes())


def read_wav(path):
    with wave.open(path, "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0


# ---------------------------------------------------------------- main

def load_model():
    state = torch.load(CHECKPOINT)
    model = WhisperForConditionalGeneration(WhisperArgs(**state["model_args"]))
    model.load_state_dict(state["model"])
    model.eval()
    return model, state


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--fixtures", default=DEFAULT_FIXTURES)
    ap.add_argument("--sentences", type=int, default=30)
    ap.add_argument("--windows", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=77)
    ap.add_argument("--notes", help="a Markdown file: how this run actually went, for the README")
    ap.add_argument("--train-commands", help="a file of the train.py commands this run took, for the README")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    tok = WhisperTokenizer(os.path.join(args.out, "tokenizer.json"))
    model, state = load_model()
    a = model.a
    logmel = LogMel(a.num_mel_bins)
    rng = random.Random(args.seed)
    nprng = np.random.default_rng(args.seed)
    verses = held_out_verses()
    gen = generation_config(tok, [])
    t0 = time.time()

    # sentences: one held-out verse per clip
    sentence_rows = []
    for k in rng.sample(range(len(verses)), args.sentences):
        ref, text = verses[k]
        v = speech.random_voice(rng)
        x, _ = lay_out([speech.speak(text, v)], rng)
        feats = logmel(torch.from_numpy(x))
        plain = tok.text(greedy(model, feats, tok, gen, timestamps=False))
        stamped = tok.text(greedy(model, feats, tok, gen, timestamps=True))
        sentence_rows.append({"ref": ref, "voice": voice_name(v), "text": text, "plain": plain, "timestamped": stamped})
        log("%-10s %-45s | %s" % (ref, voice_name(v), plain))
    sentence_wer = wer([(r["text"], r["plain"]) for r in sentence_rows])
    sentence_wer_ts = wer([(r["text"], r["timestamped"]) for r in sentence_rows])
    log("held-out sentences: WER %.3f (no timestamps), %.3f (timestamps), %.1f min"
        % (sentence_wer, sentence_wer_ts, (time.time() - t0) / 60))

    # windows: 3-4 consecutive held-out verses with pauses, timestamps checked
    window_rows, head_hits, head_total = [], torch.zeros(a.decoder_layers, a.decoder_attention_heads), 0
    start_errors, end_errors, matched, total_segments = [], [], 0, 0
    for _ in range(args.windows):
        while True:
            first = rng.randrange(len(verses) - 4)
            n = rng.randint(3, 4)
            v = speech.random_voice(rng)
            utts = [speech.speak(t, v) for _, t in verses[first:first + n]]
            x, spans = lay_out(utts, rng)
            if len(x) <= N_SAMPLES:
                break
        if nprng.random() < 0.5:
            x = add_noise(x, nprng, 30.0)
        out, weights = greedy(model, logmel(torch.from_numpy(x)), tok, gen, timestamps=True, keep_weights=True)
        segs = segments_of(out, tok)
        texts = [t for _, t in verses[first:first + n]]
        total_segments += n
        if len(segs) == n:
            matched += 1
            start_errors += [abs(s[0] - r[0]) for s, r in zip(segs, spans)]
            end_errors += [abs(s[1] - r[1]) for s, r in zip(segs, spans)]
        # alignment: the attended frame of each text token should lie inside its utterance
        frame_s = 0.02
        seg_index, k = -1, 0
        for j, i in enumerate(out):
            if i >= tok.timestamp_begin:
                k += 1
                if k % 2 == 1:
                    seg_index += 1
                continue
            if i >= tok.eot or seg_index < 0 or seg_index >= n:
                continue
            s, e = spans[seg_index]
            at = weights[:, :, j].argmax(-1).float() * frame_s
            head_hits += ((at >= s - 0.2) & (at <= e + 0.2)).float()
            head_total += 1
        window_rows.append({"refs": [r for r, _ in verses[first:first + n]], "voice": voice_name(v), "spans": spans,
                            "text": " ".join(texts), "output": tok.decode(out), "segments": segs})
        log("window %s: %d/%d segments, %s" % (verses[first][0], len(segs), n, [(round(s, 2), round(e, 2)) for s, e, _ in segs]))
        log("   spans %s" % spans)
    window_wer = wer([(r["text"], " ".join(t for _, _, t in r["segments"])) for r in window_rows])
    head_score = head_hits / max(1, head_total)
    order = sorted(((float(head_score[l, h]), l, h) for l in range(a.decoder_layers)
                    for h in range(a.decoder_attention_heads)), reverse=True)
    alignment_heads = [[l, h] for score, l, h in order if score >= 0.5][:4] or [[order[0][1], order[0][2]]]
    timing = {"windows_with_all_segments": "%d/%d" % (matched, len(window_rows)),
              "start_mean_s": float(np.mean(start_errors)) if start_errors else None,
              "start_max_s": float(np.max(start_errors)) if start_errors else None,
              "end_mean_s": float(np.mean(end_errors)) if end_errors else None,
              "end_max_s": float(np.max(end_errors)) if end_errors else None}
    log("windows: WER %.3f, timing %s, head scores %s -> alignment_heads %s"
        % (window_wer, timing, [[round(float(s), 2) for s in row] for row in head_score], alignment_heads))

    # ---------------------------------------------------------------- model folder
    gen = generation_config(tok, alignment_heads)
    out = args.out
    save_safetensors(model.hf_state_dict(), os.path.join(out, "model.safetensors"))
    config = hf_config_dict(a, decoder_start_token_id=tok.sot, eos_token_id=tok.eot,
                            begin_suppress_tokens=gen["begin_suppress_tokens"], suppress_tokens=gen["suppress_tokens"])
    for name, obj in (("config.json", config), ("generation_config.json", gen),
                      ("preprocessor_config.json", PREPROCESSOR_CONFIG)):
        with open(os.path.join(out, name), "w") as f:
            f.write(json.dumps(obj, indent=2, sort_keys=True) + "\n")
    reloaded = WhisperForConditionalGeneration(a)
    reloaded.load_hf_state_dict(load_safetensors(os.path.join(out, "model.safetensors")))
    reloaded.eval()
    probe = logmel(torch.from_numpy(speech.speak(verses[0][1], speech.random_voice(rng))))
    with torch.no_grad():
        ids = torch.tensor([[tok.sot, tok.timestamp_begin, tok.vocab["ĠAnd"]]])
        diff = float((model(probe, ids) - reloaded(probe, ids)).abs().max())
    assert diff == 0.0, "exported weights differ from the trained ones by %g" % diff

    # ---------------------------------------------------------------- test recordings
    fixtures = make_fixtures(args.fixtures, model, tok, gen, logmel, verses, rng)

    stats = {"train": {k: state[k] for k in ("step", "trained_s", "history")}, "train_args": state["args"],
             "model_args": state["model_args"], "sentences": sentence_rows, "sentence_wer": sentence_wer,
             "sentence_wer_timestamps": sentence_wer_ts, "windows": window_rows, "window_wer": window_wer,
             "timing": timing, "head_scores": head_score.tolist(), "alignment_heads": alignment_heads,
             "fixtures": fixtures, "n_params": sum(v.numel() for v in model.hf_state_dict().values())}
    if args.train_commands:
        with open(args.train_commands) as f:
            stats["train_commands"] = [line.rstrip() for line in f if line.strip()]
    with open(os.path.join(speech.corpus.WORK, "whisper_eval.json"), "w") as f:
        json.dump(stats, f, indent=2)
    notes = None
    if args.notes:
        with open(args.notes) as f:
            notes = f.read().strip()
    write_readme(out, stats, notes)
    total = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    log("exported %s (%.2f MB), eval %.1f min" % (out, total / 1e6, (time.time() - t0) / 60))


def make_fixtures(folder, model, tok, gen, logmel, verses, rng):
    """Four short held-out clips and a ~3-minute recording of Ruth 1, with their texts and times."""
    os.makedirs(folder, exist_ok=True)
    voices = [{"voice": "en-us", "variant": "m3", "wpm": 165, "pitch": 50, "tempo": 1.0, "band_limit": False},
              {"voice": "en-gb-x-rp", "variant": "f2", "wpm": 150, "pitch": 60, "tempo": 1.0, "band_limit": False},
              {"voice": "en", "variant": "m1", "wpm": 180, "pitch": 40, "tempo": 1.0, "band_limit": True},
              {"voice": "en-gb-scotland", "variant": "klatt", "wpm": 140, "pitch": 45, "tempo": 1.0,
               "band_limit": False}]
    short = [v for v in verses if 8 <= len(v[1].split()) <= 22]
    picks = rng.sample(short, len(voices))
    files = []
    for n, ((ref, text), v) in enumerate(zip(picks, voices)):
        x, spans = lay_out([speech.speak(text, v)], rng, lead=(0.3, 0.3), tail=0.4)
        name = "sentence-%d.wav" % (n + 1)
        write_wav(os.path.join(folder, name), x)
        y = read_wav(os.path.join(folder, name))
        feats = logmel(torch.from_numpy(y))
        plain = tok.text(greedy(model, feats, tok, gen, timestamps=False))
        segs = segments_of(greedy(model, feats, tok, gen, timestamps=True), tok)
        files.append({"file": name, "ref": ref, "voice": voice_name(v), "seconds": round(len(y) / SAMPLING_RATE, 3),
                      "text": text, "utterances": [{"text": text, "start": spans[0][0], "end": spans[0][1]}],
                      "pytorch_greedy": plain, "pytorch_wer": round(wer([(text, plain)]), 4),
                      "pytorch_segments": [{"start": round(s, 2), "end": round(e, 2), "text": t} for s, e, t in segs]})
        log("fixture %s %s: %s" % (name, ref, plain))
    v = {"voice": "en-us", "variant": "m2", "wpm": 170, "pitch": 50, "tempo": 1.0, "band_limit": False}
    chapter = [(r, t) for r, t in verses if r.startswith(speech.HELD_OUT_BOOK + " 1:")]
    x, spans = lay_out([speech.speak(t, v) for _, t in chapter], rng, lead=(0.5, 0.5), gap=(0.4, 0.7))
    write_wav(os.path.join(folder, "ruth-1.wav"), x)
    files.append({"file": "ruth-1.wav", "ref": speech.HELD_OUT_BOOK + " 1", "voice": voice_name(v),
                  "seconds": round(len(x) / SAMPLING_RATE, 3), "text": " ".join(t for _, t in chapter),
                  "utterances": [{"ref": r, "text": t, "start": s, "end": e} for (r, t), (s, e) in zip(chapter, spans)]})
    log("fixture ruth-1.wav: %.1f s, %d verses" % (len(x) / SAMPLING_RATE, len(chapter)))
    doc = {"description": "Held-out espeak-ng speech (the book of Ruth, never in whisper-kjv-tiny's training data), "
                          "16 kHz mono 16-bit, made by tools/train/whisper/export.py. Times in seconds are the "
                          "utterance boundaries (espeak-ng's own leading and trailing silence trimmed). "
                          "pytorch_* are the PyTorch reference model's greedy outputs (generation_config.json's "
                          "suppression and Whisper's timestamp rules).",
           "sampling_rate": SAMPLING_RATE, "files": files}
    with open(os.path.join(folder, "eval.json"), "w") as f:
        f.write(json.dumps(doc, indent=2) + "\n")
    return files


def write_readme(out, s, notes=None):
    a = s["model_args"]
    t = s["timing"]
    ta = s["train_args"]
    hist = s["train"]["history"]
    marks = [h for i, h in enumerate(hist) if i % max(1, len(hist) // 8) == 0 or i == len(hist) - 1]
    table = "\n".join("| %.1f | %d | %.3f | %.2f |" % tuple(h) for h in marks)
    samples = "\n".join("- %s (%s)\n  - reference: %s\n  - greedy: %s" % (r["ref"], r["voice"], json.dumps(r["text"]),
                                                                           json.dumps(r["plain"]))
                        for r in s["sentences"][:5])

    if s["sentence_wer"] <= 0.3:
        status = ("It transcribes espeak-ng speech of KJV-style English; it will not understand human voices "
                  "or other text well.")
    elif s["sentence_wer"] <= 0.6:
        status = ("It transcribes espeak-ng speech of KJV-style English, with many errors (the word error rates "
                  "below); it will not understand human voices or other text.")
    else:
        status = ("**It does not transcribe yet**: within its training budget it learned a KJV language model "
                  "and Whisper's output format (timestamps, segments, end of text) but not to follow the audio "
                  "(see the word error rate below and \"How this run went\"). Its outputs are well-formed "
                  "Whisper token sequences, so it exercises loading, generation rules and decoding, not accuracy.")

    def fmt(x):
        return "n/a" if x is None else "%.2f s" % x

    train_commands = "\n".join(s.get("train_commands") or
                               ["nice -n 10 /usr/bin/python3 tools/train/whisper/train.py --minutes %g" % ta["minutes"]])

    text = f"""# whisper-kjv-tiny

A tiny Whisper-architecture speech recognizer (`WhisperForConditionalGeneration`,
English-only like `openai/whisper-tiny.en`) trained from scratch, on CPU, on
`espeak-ng` speech of the King James Version, so that wax's demo and tests have
a real checkpoint offline. {status}

## Measured (held-out text: the book of Ruth, never synthesised for training)

- **Word error rate {100 * s['sentence_wer']:.1f}%** on {len(s['sentences'])} single held-out verses
  (greedy, `<|notimestamps|>`; {100 * s['sentence_wer_timestamps']:.1f}% when decoding with timestamps),
  each spoken by a voice drawn as in training: espeak-ng voices en, en-us, en-gb-x-rp, en-gb-scotland,
  en-gb-x-gbclan, en-gb-x-gbcwmd, en-029 with variants (m1-m7, f1-f5, klatt-klatt4, croak), 130-200 words
  per minute, pitch 25-75, sometimes sox `tempo` 0.9-1.12 or band-limited through 8 kHz; no noise.
- **WER {100 * s['window_wer']:.1f}%** on {len(s['windows'])} 30 s windows of 3-4 consecutive held-out
  verses with 0.3-0.9 s pauses (half with white noise at 30 dB SNR), decoded with timestamps.
- **Segment timestamps** against the known utterance boundaries, in the windows where the model gave one
  segment per verse ({t['windows_with_all_segments']}): start error mean {fmt(t['start_mean_s'])}, max
  {fmt(t['start_max_s'])}; end error mean {fmt(t['end_mean_s'])}, max {fmt(t['end_max_s'])}.
- WER is computed on lower-cased words with punctuation removed.

Samples:

{samples}

## Model

d_model {a['d_model']}, {a['encoder_layers']} encoder + {a['decoder_layers']} decoder layers,
{a['encoder_attention_heads']} heads, FFN {a['encoder_ffn_dim']}, 80 mel bins, 1500 source positions
(30 s / 3000 frames, as every Whisper), 448 target positions, vocabulary {a['vocab_size']}.
**{s['n_params']:,} stored parameters**, F32 `model.safetensors` with Hugging Face key names
(`model.encoder.embed_positions.weight` holds the sinusoids; `proj_out` is tied to
`model.decoder.embed_tokens` and not stored). `preprocessor_config.json` is WhisperFeatureExtractor's
(80 mels, n_fft 400, hop 160).

`generation_config.json`: `decoder_start_token_id` `<|startoftranscript|>`, `is_multilingual` false
(English only: the prompt is `<|startoftranscript|>` then `<|notimestamps|>` or the first timestamp, no
language or task token; the language and task tokens exist in the vocabulary, as in `.en` models, but
were never trained and are in `suppress_tokens`), `no_timestamps_token_id`, `begin_suppress_tokens`
(`Ġ` and `<|endoftext|>`), `max_initial_timestamp_index` {MAX_INITIAL_TIMESTAMP_INDEX}, and
`alignment_heads` {s['alignment_heads']}: the decoder cross-attention heads whose most-attended frame
fell inside the spoken verse for the largest share of text tokens on the held-out windows (scores per
layer and head: {[[round(x, 2) for x in row] for row in s['head_scores']]}; the verses cover most of a window, so
chance is already high: these heads mean little until the model follows the audio).

## Tokenizer

Byte-level BPE (GPT-2 regex, GPT-2 byte order) with 2048 ids trained on the KJV by
`tools/train/train_tokenizer.py`'s trainer, then Whisper's 1608 added tokens in Whisper's order:
`<|endoftext|>` {2048}, `<|startoftranscript|>`, the 99 language tokens, `<|translate|>`,
`<|transcribe|>`, `<|startoflm|>`, `<|startofprev|>`, `<|nospeech|>`, `<|notimestamps|>` (special) and
the timestamps `<|0.00|>` ... `<|30.00|>` (not special). `tokenizer.json` and `tokenizer_config.json`
are laid out as the Hub's Whisper ones (TemplateProcessing post-processor with
`<|startoftranscript|><|notimestamps|>` ... `<|endoftext|>`, ByteLevel decoder with `add_prefix_space`).

## Data and training

- Text: the KJV from Debian's `bible-kjv-text` (public domain); the book of Ruth held out.
- Speech: `tools/train/whisper/speech.py` synthesised 3000 passages (runs of up to 8 consecutive verses,
  one voice each, voices as above), 16 kHz, espeak-ng's silence trimmed.
- Each training example packs consecutive verses of one passage into a window with 0-1 s of leading
  silence and 0.15-1.2 s pauses, a random gain, white or pink noise at 8-40 dB SNR on {100 * ta.get('noise', 0.75):.0f}% of windows, and
  Whisper targets: `<|startoftranscript|><|t|> verse<|t|><|t|> verse<|t|>...<|endoftext|>` with the
  utterance boundaries as timestamps (70%), or `<|startoftranscript|><|notimestamps|> text<|endoftext|>`;
  some windows cut the next verse at the window end and end with its start time alone, as Whisper's
  training data marks a segment that runs past the window. 20% of windows hold only 1-2 verses.
- `tools/train/whisper/train.py`: AdamW (lr {ta['lr']:g}, betas 0.9/0.98, weight decay {ta['weight_decay']:g}),
  {ta['warmup']}-step warmup, cosine to {ta['min_lr_frac']:g}x over a wall-clock budget of {ta['minutes']:g}
  minutes, batch {ta['batch']}, bfloat16 autocast (float32 master weights), an auxiliary CTC head on the
  encoder output over characters (weight {ta['ctc_weight']:g}, not exported); {ta['warmup_window']:g} s windows
  (cheaper attention) for the first {100 * ta['short_fraction']:.0f}% of the budget, growing to Whisper's 30 s by
  {100 * ta['full_fraction']:.0f}%.
  **{s['train']['step']} steps ({s['train']['step'] * ta['batch']} windows) in {s['train']['trained_s'] / 60:.1f} minutes** on 2 shared CPU cores
  (Debian's python3-torch 1.13 with OpenBLAS).

| minutes | step | cross-entropy (EMA) | CTC |
|---|---|---|---|
{table}

## How this run went

{notes or "As above, in one run."}

## Regenerating

```sh
apt-get install -y python3-torch python3-numpy python3-regex espeak-ng sox libopenblas0-serial bible-kjv-text bible-kjv
/usr/bin/python3 tools/train/whisper/whisper.py                 # the torch module and log-mel vs the oracle
/usr/bin/python3 tools/train/whisper/tokenizer.py               # tokenizer.json, tokenizer_config.json
/usr/bin/python3 tools/train/whisper/speech.py --passages 3000  # ~10 min
{train_commands}
/usr/bin/python3 tools/train/whisper/export.py                  # evaluate, write this folder and the test clips
```

Training is CPU-timing dependent: a rerun gives a similar, not bit-identical, model.
"""
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
