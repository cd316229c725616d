"""The Whisper tokenizer of whisper-kjv-tiny: a byte-level BPE trained on the
KJV (tools/train/train_tokenizer.py's trainer) followed by Whisper's added
tokens in Whisper's order, written as a real Whisper tokenizer.json /
tokenizer_config.json are laid out.

    /usr/bin/python3 tools/train/whisper/tokenizer.py [--bpe-size 2048] [--out models/whisper-kjv-tiny]

Needs python3-regex, bible-kjv-text and bible-kjv (see tools/train/corpus.py).

Layout: ids 0..255 the byte symbols in GPT-2's order, then one id per merge;
then `<|endoftext|>`, `<|startoftranscript|>`, the 99 language tokens,
`<|translate|>`, `<|transcribe|>`, `<|startoflm|>`, `<|startofprev|>`,
`<|nospeech|>`, `<|notimestamps|>` (special) and the 1501 timestamps
`<|0.00|>` ... `<|30.00|>` (not special), as in openai/whisper-tiny.en.
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import corpus  # noqa: E402
import train_tokenizer  # noqa: E402
from train_tokenizer import BYTE_ENCODER, Tokenizer, train_bpe  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
DEFAULT_OUT = os.path.join(REPO, "models", "whisper-kjv-tiny")

LANGUAGES = ("en zh de es ru ko fr ja pt tr pl ca nl ar sv it id hi fi vi he uk el ms cs ro da hu ta no th ur hr "
             "bg lt la mi ml cy sk te fa lv bn sr az sl kn et mk br eu is hy ne mn bs kk sq sw gl mr pa si km sn "
             "yo so af oc ka be tg sd gu am yi lo uz fo ht ps tk nn mt sa lb my bo tl mg as tt haw ln ha ba jw "
             "su").split()
TASK_TOKENS = ["<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>", "<|nospeech|>",
               "<|notimestamps|>"]
SPECIAL_TOKENS = ["<|endoftext|>", "<|startoftranscript|>"] + ["<|%s|>" % c for c in LANGUAGES] + TASK_TOKENS
TIMESTAMP_TOKENS = ["<|%.2f|>" % (i * 0.02) for i in range(1501)]
MODEL_MAX_LENGTH = 1024


def build_vocab(merges):
    vocab = {}
    for symbol in BYTE_ENCODER.values():  # GPT-2's byte order: printable bytes first
        vocab[symbol] = len(vocab)
    for a, b in merges:
        vocab[a + b] = len(vocab)
    return vocab


def added_tokens(first_id):
    return [{"id": first_id + i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": i < len(SPECIAL_TOKENS)}
            for i, t in enumerate(SPECIAL_TOKENS + TIMESTAMP_TOKENS)]


def tokenizer_json(vocab, merges):
    added = added_tokens(len(vocab))
    ids = {t["content"]: t["id"] for t in added}

    def special(name, type_id=0):
        return {"SpecialToken": {"id": name, "type_id": type_id}}

    prefix = [special("<|startoftranscript|>"), special("<|notimestamps|>")]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": prefix + [{"Sequence": {"id": "A", "type_id": 0}}, special("<|endoftext|>")],
            "pair": prefix + [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                              special("<|endoftext|>", 1)],
            "special_tokens": {t: {"id": t, "ids": [ids[t]], "tokens": [t]}
                               for t in ("<|startoftranscript|>", "<|notimestamps|>", "<|endoftext|>")},
        },
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {
            "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
            "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
            "vocab": vocab, "merges": [[a, b] for a, b in merges],
        },
    }


def tokenizer_config_json(tj):
    return {
        "tokenizer_class": "WhisperTokenizer",
        "add_prefix_space": False,
        "errors": "replace",
        "bos_token": "<|endoftext|>",
        "eos_token": "<|endoftext|>",
        "unk_token": "<|endoftext|>",
        "pad_token": "<|endoftext|>",
        "model_max_length": MODEL_MAX_LENGTH,
        "clean_up_tokenization_spaces": True,
        "split_special_tokens": False,
        "additional_special_tokens": SPECIAL_TOKENS[1:],
        "added_tokens_decoder": {str(t["id"]): {k: t[k] for k in ("content", "lstrip", "normalized", "rstrip",
                                                                  "single_word", "special")}
                                 for t in tj["added_tokens"]},
    }


class WhisperTokenizer(Tokenizer):
    """train_tokenizer's reference BPE encoder plus the Whisper ids training needs."""

    def __init__(self, path):
        super().__init__(path)
        with open(path, encoding="utf-8") as f:
            added = {t["content"]: t["id"] for t in json.load(f)["added_tokens"]}
        self.added = added
        self.eot = added["<|endoftext|>"]
        self.sot = added["<|startoftranscript|>"]
        self.no_timestamps = added["<|notimestamps|>"]
        self.timestamp_begin = added["<|0.00|>"]
        self.vocab_size = max(added.values()) + 1
        self.inv.update({i: t for t, i in added.items()})

    def timestamp(self, seconds):
        return self.timestamp_begin + int(round(seconds / 0.02))

    def text(self, ids):
        """Plain decode: timestamps and special tokens dropped."""
        return self.decode([i for i in ids if i < self.eot]).strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bpe-size", type=int, default=2048, help="byte symbols + merges")
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    docs = corpus.chapter_documents()
    # train_bpe reserves room for train_tokenizer's own 3 special tokens; ours come after the BPE ids instead.
    merges = train_bpe(docs, args.bpe_size + len(train_tokenizer.SPECIAL_TOKENS))
    vocab = build_vocab(merges)
    tj = tokenizer_json(vocab, merges)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tj, f, ensure_ascii=False, indent=2)
        f.write("\n")
    with open(os.path.join(args.out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_config_json(tj), f, ensure_ascii=False, indent=2)
        f.write("\n")
    tok = WhisperTokenizer(os.path.join(args.out, "tokenizer.json"))
    sample = " " + docs[0][:120]
    assert tok.decode(tok.encode(sample)) == sample
    print("tokenizer: %d BPE ids + %d added = %d; eot %d sot %d notimestamps %d <|0.00|> %d"
          % (len(vocab), len(tj["added_tokens"]), tok.vocab_size, tok.eot, tok.sot, tok.no_timestamps,
             tok.timestamp_begin))
    print("sample:", [tok.inv[i] for i in tok.encode(sample)][:20])


if __name__ == "__main__":
    main()
