"""espeak-ng speech of KJV verses, cached under tools/train/work/whisper_speech/.

    /usr/bin/python3 tools/train/whisper/speech.py --passages 2000 [--workers 2]

Needs Debian's espeak-ng, sox, python3-numpy and the KJV (tools/train/corpus.py:
apt-get install -y espeak-ng sox bible-kjv-text bible-kjv).

A passage is a run of consecutive verses of one chapter spoken by one voice
(an espeak-ng voice and variant, a speed in words per minute, a pitch),
sometimes through sox's `tempo` or band-limited by resampling through 8 kHz.
Each verse is one utterance: 16 kHz mono int16 with espeak's leading and
trailing silence trimmed. Every worker appends utterances to its own
`shard-<worker>.i16` and one JSON line per utterance to `shard-<worker>.jsonl`
(offset and length in samples, text, passage, voice), so training can read
what is there while synthesis goes on. The book of Ruth is held out
(`HELD_OUT_BOOK`): it is never synthesised here.
"""
import argparse
import json
import multiprocessing
import os
import random
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import corpus  # noqa: E402

SPEECH_DIR = os.path.join(corpus.WORK, "whisper_speech")
HELD_OUT_BOOK = "Ruth"
SAMPLING_RATE = 16000
VOICES = ["en", "en-us", "en-gb-x-rp", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-029"]
VARIANTS = ["", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5", "klatt", "klatt2",
            "klatt3", "klatt4", "croak"]
MAX_VERSES = 8


def random_voice(rng):
    return {"voice": rng.choice(VOICES), "variant": rng.choice(VARIANTS), "wpm": rng.randint(130, 200),
            "pitch": rng.randint(25, 75), "tempo": round(rng.uniform(0.9, 1.12), 3) if rng.random() < 0.3 else 1.0,
            "band_limit": rng.random() < 0.25}


def speak(text, v):
    """One utterance as float32 16 kHz samples in [-1, 1], silence at both ends trimmed."""
    name = v["voice"] + ("+" + v["variant"] if v["variant"] else "")
    wav = subprocess.run(["espeak-ng", "-v", name, "-s", str(v["wpm"]), "-p", str(v["pitch"]), "--stdout", text],
                         check=True, capture_output=True).stdout
    effects = ["rate", "8000"] if v["band_limit"] else []
    effects += ["rate", str(SAMPLING_RATE)]
    if v["tempo"] != 1.0:
        effects += ["tempo", "-s", str(v["tempo"])]
    raw = subprocess.run(["sox", "-t", "wav", "-", "-t", "raw", "-e", "signed-integer", "-b", "16", "-c", "1",
                          "-"] + effects, input=wav, check=True, capture_output=True).stdout
    x = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    loud = np.flatnonzero(np.abs(x) > 0.01)
    if len(loud) == 0:
        return x[:0]
    return x[max(0, loud[0] - 80): loud[-1] + 80]


def training_chapters():
    return [c for c in corpus.load_chapters() if c[0] != HELD_OUT_BOOK]


def held_out_chapters():
    return [c for c in corpus.load_chapters() if c[0] == HELD_OUT_BOOK]


def worker(job):
    index, n_passages, seed = job
    rng = random.Random(seed)
    chapters = training_chapters()
    os.makedirs(SPEECH_DIR, exist_ok=True)
    audio_path = os.path.join(SPEECH_DIR, "shard-%d.i16" % index)
    with open(audio_path, "ab") as audio, open(os.path.join(SPEECH_DIR, "shard-%d.jsonl" % index), "a") as meta:
        offset = audio.tell() // 2
        for p in range(n_passages):
            book, number, verses = rng.choice(chapters)
            first = rng.randrange(len(verses))
            voice = random_voice(rng)
            passage = "%d-%d" % (index, p)
            for k in range(first, min(len(verses), first + MAX_VERSES)):
                x = speak(verses[k], voice)
                if len(x) == 0:
                    continue
                pcm = np.clip(np.round(x * 32767.0), -32768, 32767).astype("<i2")
                audio.write(pcm.tobytes())
                meta.write(json.dumps({"offset": offset, "length": len(pcm), "text": verses[k],
                                       "passage": passage, "ref": "%s %d:%d" % (book, number, k + 1),
                                       **voice}) + "\n")
                offset += len(pcm)
            audio.flush()
            meta.flush()
    return n_passages


def load_index(directory=SPEECH_DIR):
    """[(shard audio path, utterance dict)], grouped by passage in order."""
    out = []
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".jsonl"):
            continue
        path = os.path.join(directory, name[:-len(".jsonl")] + ".i16")
        with open(os.path.join(directory, name)) as f:
            for line in f:
                if line.endswith("\n"):
                    out.append((path, json.loads(line)))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--passages", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    t0 = time.time()
    per = args.passages // args.workers
    jobs = [(i, per, args.seed * 100 + i) for i in range(args.workers)]
    with multiprocessing.Pool(args.workers) as pool:
        pool.map(worker, jobs)
    index = load_index()
    seconds = sum(u["length"] for _, u in index) / SAMPLING_RATE
    print("speech: %d utterances, %.2f hours, in %.1f min" % (len(index), seconds / 3600, (time.time() - t0) / 60))


if __name__ == "__main__":
    main()
