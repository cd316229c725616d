#!/usr/bin/python3
"""Train a GPT-2 style byte-level BPE tokenizer on the KJV and write a
Hugging Face tokenizer.json + tokenizer_config.json.

    /usr/bin/python3 tools/train/train_tokenizer.py [--vocab-size 4096] [--out models/kjv-llama-5m]

Byte-level BPE as in GPT-2 / Hugging Face `tokenizers`:
  * pre-tokenization with the GPT-2 regex (Python `regex` module, Debian
    python3-regex, so \\p{L} / \\p{N} are the real Unicode classes),
  * every pre-token's UTF-8 bytes mapped through the GPT-2 byte-to-unicode table,
  * merges learned greedily by pair frequency over pre-token counts.

Vocabulary layout: ids 0,1,2 = <|endoftext|>, <|im_start|>, <|im_end|>
(also listed as special added_tokens), ids 3..258 = the 256 byte symbols in
byte order, then one id per merge in merge order.

The module also exposes a reference encoder (`Tokenizer`) that
train_model.py uses to tokenize the corpus and check_tokenizer.mjs compares
against the JavaScript implementation.
"""
import argparse
import heapq
import json
import os
import sys
import time
from collections import Counter, defaultdict

import regex

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import corpus  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_OUT = os.path.join(REPO, "models", "kjv-llama-5m")

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
PRETOKENIZE = regex.compile(GPT2_PATTERN)

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
MODEL_MAX_LENGTH = 256


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable unicode character table."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) + \
        list(range(ord("\xae"), ord("\xff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


BYTE_ENCODER = bytes_to_unicode()
BYTE_DECODER = {v: k for k, v in BYTE_ENCODER.items()}


def pretokenize(text):
    """GPT-2 regex split, each piece as its byte-level unicode string."""
    return ["".join(BYTE_ENCODER[b] for b in piece.encode("utf-8"))
            for piece in PRETOKENIZE.findall(text)]


# ---------------------------------------------------------------- training

def train_bpe(texts, vocab_size, log=print):
    n_merges = vocab_size - len(SPECIAL_TOKENS) - 256
    if n_merges < 0:
        raise ValueError("vocab_size too small")
    counts = Counter()
    for t in texts:
        counts.update(pretokenize(t))
    words = [list(w) for w in counts]
    freqs = [counts[w] for w in counts]
    log("tokenizer: %d pre-tokens, %d distinct" % (sum(freqs), len(words)))

    pair_counts = defaultdict(int)
    where = defaultdict(set)  # pair -> indices of words containing it
    for i, w in enumerate(words):
        for a, b in zip(w, w[1:]):
            pair_counts[(a, b)] += freqs[i]
            where[(a, b)].add(i)
    heap = [(-c, p) for p, c in pair_counts.items()]
    heapq.heapify(heap)

    merges = []
    while len(merges) < n_merges and heap:
        negc, pair = heapq.heappop(heap)
        if pair_counts.get(pair, 0) != -negc:
            continue  # stale heap entry
        if -negc < 2:
            break
        merges.append(pair)
        a, b = pair
        new = a + b
        touched = set()
        for i in list(where[pair]):
            w = words[i]
            f = freqs[i]
            # remove this word's old pairs
            for x, y in zip(w, w[1:]):
                pair_counts[(x, y)] -= f
                touched.add((x, y))
            out = []
            j = 0
            while j < len(w):
                if j < len(w) - 1 and w[j] == a and w[j + 1] == b:
                    out.append(new)
                    j += 2
                else:
                    out.append(w[j])
                    j += 1
            words[i] = out
            for x, y in zip(out, out[1:]):
                pair_counts[(x, y)] += f
                where[(x, y)].add(i)
                touched.add((x, y))
        del pair_counts[pair]
        del where[pair]
        for p in touched:
            c = pair_counts.get(p, 0)
            if c > 0:
                heapq.heappush(heap, (-c, p))
            elif p in pair_counts:
                del pair_counts[p]
    log("tokenizer: learned %d merges" % len(merges))
    return merges


def build_vocab(merges):
    vocab = {}
    for t in SPECIAL_TOKENS:
        vocab[t] = len(vocab)
    for b in range(256):
        vocab[BYTE_ENCODER[b]] = len(vocab)
    for a, b in merges:
        tok = a + b
        if tok in vocab:
            raise ValueError("duplicate token from merge %r %r" % (a, b))
        vocab[tok] = len(vocab)
    return vocab


def tokenizer_json(vocab, merges):
    added = [{"id": vocab[t], "content": t, "single_word": False, "lstrip": False,
              "rstrip": False, "normalized": False, "special": True} for t in SPECIAL_TOKENS]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                          "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False,
                           "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                    "use_regex": True},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": vocab,
            "merges": [[a, b] for a, b in merges],
        },
    }


def tokenizer_config_json(vocab):
    decoder = {str(vocab[t]): {"content": t, "lstrip": False, "normalized": False, "rstrip": False,
                               "single_word": False, "special": True} for t in SPECIAL_TOKENS}
    return {
        "add_bos_token": False,
        "add_eos_token": False,
        "add_prefix_space": False,
        "added_tokens_decoder": decoder,
        "additional_special_tokens": ["<|im_start|>", "<|im_end|>"],
        "bos_token": "<|endoftext|>",
        "chat_template": CHAT_TEMPLATE,
        "clean_up_tokenization_spaces": False,
        "eos_token": "<|im_end|>",
        "errors": "replace",
        "model_max_length": MODEL_MAX_LENGTH,
        "pad_token": "<|endoftext|>",
        "split_special_tokens": False,
        "tokenizer_class": "PreTrainedTokenizerFast",
        "unk_token": None,
    }


# ---------------------------------------------------------------- encoding

class Tokenizer:
    """Reference byte-level BPE encoder/decoder for a tokenizer.json written above."""

    def __init__(self, path_or_obj):
        if isinstance(path_or_obj, dict):
            tj = path_or_obj
        else:
            with open(path_or_obj, encoding="utf-8") as f:
                tj = json.load(f)
        self.vocab = tj["model"]["vocab"]
        self.inv = {i: t for t, i in self.vocab.items()}
        self.ranks = {tuple(m): r for r, m in enumerate(tj["model"]["merges"])}
        self.special = {t["content"]: t["id"] for t in tj["added_tokens"]}
        self.special_ids = set(self.special.values())
        self.special_re = regex.compile("(" + "|".join(regex.escape(t) for t in self.special) + ")")
        self.cache = {}

    def _bpe(self, piece):
        hit = self.cache.get(piece)
        if hit is not None:
            return hit
        parts = list(piece)
        while len(parts) > 1:
            best = None
            for i in range(len(parts) - 1):
                r = self.ranks.get((parts[i], parts[i + 1]))
                if r is not None and (best is None or r < best[0]):
                    best = (r, i)
            if best is None:
                break
            a, b = parts[best[1]], parts[best[1] + 1]
            out = []
            i = 0
            while i < len(parts):
                if i < len(parts) - 1 and parts[i] == a and parts[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(parts[i])
                    i += 1
            parts = out
        ids = [self.vocab[p] for p in parts]
        self.cache[piece] = ids
        return ids

    def encode_ordinary(self, text):
        """Encode text, treating special-token strings as ordinary text."""
        ids = []
        for piece in pretokenize(text):
            ids.extend(self._bpe(piece))
        return ids

    def encode(self, text):
        """Encode text; exact special-token strings become their ids (as HF does)."""
        ids = []
        for k, chunk in enumerate(self.special_re.split(text)):
            if k % 2 == 1:
                ids.append(self.special[chunk])
            elif chunk:
                ids.extend(self.encode_ordinary(chunk))
        return ids

    def decode(self, ids, skip_special_tokens=False):
        out = []
        buf = []
        for i in ids:
            if i in self.special_ids:
                if buf:
                    out.append(bytes(buf).decode("utf-8", errors="replace"))
                    buf = []
                if not skip_special_tokens:
                    out.append(self.inv[i])
            else:
                buf.extend(BYTE_DECODER[c] for c in self.inv[i])
        if buf:
            out.append(bytes(buf).decode("utf-8", errors="replace"))
        return "".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vocab-size", type=int, default=4096)
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()

    t0 = time.time()
    docs = corpus.chapter_documents()
    merges = train_bpe(docs, args.vocab_size)
    vocab = build_vocab(merges)
    tj = tokenizer_json(vocab, merges)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tj, f, ensure_ascii=False, indent=2)
        f.write("\n")
    with open(os.path.join(args.out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_config_json(vocab), f, ensure_ascii=False, indent=2)
        f.write("\n")

    tok = Tokenizer(tj)
    sample = docs[0][:200]
    ids = tok.encode(sample)
    assert tok.decode(ids) == sample
    n_tokens = sum(len(tok.encode_ordinary(d)) for d in docs)
    n_chars = sum(len(d) for d in docs)
    print("tokenizer: vocab %d (%d specials + 256 bytes + %d merges), corpus %d tokens, %.2f chars/token, %.1fs"
          % (len(vocab), len(SPECIAL_TOKENS), len(merges), n_tokens, n_chars / n_tokens, time.time() - t0))
    print("tokenizer: sample ->", [tok.inv[i] for i in ids[:24]])
    print("wrote", os.path.join(args.out, "tokenizer.json"))


if __name__ == "__main__":
    main()
