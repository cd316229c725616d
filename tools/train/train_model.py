#!/usr/bin/python3
"""Train the small KJV Llama on one CPU thread for a fixed wall-clock budget
and export it as a Hugging Face model folder.

    /usr/bin/python3 tools/train/train_tokenizer.py          # tokenizer.json first
    /usr/bin/python3 tools/train/train_model.py --minutes 35 # then this

Output (default models/kjv-llama-5m/): config.json, model.safetensors (F32,
tied embeddings, HF Llama key names), generation_config.json, README.md, next
to the tokenizer.json / tokenizer_config.json written by train_tokenizer.py.
Scratch files (log, reference logits, checkpoint) go to tools/train/work/.

Data: every KJV chapter is one plain-prose document followed by
<|endoftext|>; in addition a quarter of the verse groups (2-6 consecutive
verses) are wrapped as ChatML conversations (user: first half of the group,
assistant: the continuation), rendered exactly as the chat template does.

Speed: Debian's python3-torch calls the reference BLAS through libblas.so.3,
which is ~30x slower than OpenBLAS. If Debian's libopenblas0-serial is
installed, this script re-executes itself with that library first on
LD_LIBRARY_PATH (only for this process; the system default is untouched).
"""
import os
import sys

_OPENBLAS = "/usr/lib/x86_64-linux-gnu/openblas-serial"
if os.path.isdir(_OPENBLAS) and os.environ.get("WAX_TRAIN_BLAS") is None:
    env = dict(os.environ, WAX_TRAIN_BLAS=_OPENBLAS, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               LD_LIBRARY_PATH=_OPENBLAS + (":" + os.environ["LD_LIBRARY_PATH"] if os.environ.get("LD_LIBRARY_PATH") else ""))
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import corpus  # noqa: E402
from llama import LlamaArgs, LlamaForCausalLM, args_from_hf_config, hf_config_dict, save_safetensors  # noqa: E402
from train_tokenizer import CHAT_TEMPLATE, DEFAULT_OUT, Tokenizer  # noqa: E402

WORK = os.path.join(HERE, "work")
EOT, IM_START, IM_END = 0, 1, 2


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def chat_text(user, assistant):
    """What the chat template renders for a user/assistant exchange."""
    return ("<|im_start|>user\n" + user + "<|im_end|>\n"
            "<|im_start|>assistant\n" + assistant + "<|im_end|>\n")


def build_documents(tok, chapters, rng, chat_fraction):
    docs = []
    n_chat = 0
    for _, _, verses in chapters:
        docs.append(tok.encode_ordinary(" ".join(verses)) + [EOT])
        i = 0
        while i < len(verses):
            n = rng.randint(2, 6)
            group = verses[i:i + n]
            i += n
            if len(group) < 2 or rng.random() >= chat_fraction:
                continue
            k = max(1, len(group) // 2)
            docs.append(tok.encode(chat_text(" ".join(group[:k]), " ".join(group[k:]))) + [EOT])
            n_chat += 1
    return docs, n_chat


def make_stream(docs, rng):
    order = list(range(len(docs)))
    rng.shuffle(order)
    out = []
    for j in order:
        out.extend(docs[j])
    return torch.tensor(out, dtype=torch.long)


@torch.no_grad()
def generate(model, tok, prompt_ids, max_new, temperature=0.0, top_k=40, stop=(EOT, IM_END), gen=None):
    ids = list(prompt_ids)
    ctx = model.a.max_position_embeddings
    for _ in range(max_new):
        logits = model(torch.tensor([ids[-ctx:]]))[0, -1]
        if temperature <= 0:
            nxt = int(logits.argmax())
        else:
            logits = logits / temperature
            v, ix = logits.topk(top_k)
            p = torch.softmax(v, -1)
            nxt = int(ix[torch.multinomial(p, 1, generator=gen)])
        ids.append(nxt)
        if nxt in stop:
            break
    return tok.decode(ids[len(prompt_ids):])


@torch.no_grad()
def eval_loss(model, data, T, batches=8, batch=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    model.eval()
    tot = 0.0
    for _ in range(batches):
        ix = torch.randint(0, len(data) - T - 1, (batch,), generator=g)
        x = torch.stack([data[i:i + T] for i in ix])
        y = torch.stack([data[i + 1:i + T + 1] for i in ix])
        tot += float(torch.nn.functional.cross_entropy(model(x).flatten(0, 1), y.flatten()))
    model.train()
    return tot / batches


SAMPLE_PROMPTS = [
    ("text", "In the beginning"),
    ("text", "And the LORD said unto Moses,"),
    ("text", "Blessed are the"),
    ("chat", "The LORD is my shepherd; I shall not want."),
    ("chat", "And God said, Let there be light: and there was light."),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=35.0, help="wall-clock training budget")
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--min-lr-frac", type=float, default=0.1)
    ap.add_argument("--warmup", type=int, default=60, help="warmup steps")
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--chat-fraction", type=float, default=0.25)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--kv-heads", type=int, default=4)
    ap.add_argument("--intermediate", type=int, default=688)
    ap.add_argument("--context", type=int, default=256)
    ap.add_argument("--dtype", choices=["F32", "BF16"], default="F32", help="stored weight dtype")
    ap.add_argument("--readme-only", action="store_true",
                    help="only rewrite README.md from tools/train/work/train_stats.json of the last run")
    ap.add_argument("--no-amp", dest="amp", action="store_false",
                    help="train matmuls in float32 instead of bfloat16 autocast (fp32 master weights either way)")
    args = ap.parse_args()

    if args.readme_only:
        with open(os.path.join(WORK, "train_stats.json")) as f:
            stats = json.load(f)
        if "model_args" in stats:
            a = LlamaArgs(**stats["model_args"])
        else:
            with open(os.path.join(args.out, "config.json")) as f:
                a = args_from_hf_config(json.load(f))
        write_readme(args.out, stats, a)
        log("rewrote", os.path.join(args.out, "README.md"))
        return
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    os.makedirs(WORK, exist_ok=True)
    log("torch", torch.__version__, "threads", torch.get_num_threads(), "BLAS", os.environ.get("WAX_TRAIN_BLAS", "system default"))

    tok_path = os.path.join(args.out, "tokenizer.json")
    if not os.path.exists(tok_path):
        raise SystemExit("missing %s: run tools/train/train_tokenizer.py first" % tok_path)
    tok = Tokenizer(tok_path)
    V = len(tok.vocab)

    chapters = corpus.load_chapters()
    val_ch = [c for i, c in enumerate(chapters) if i % 50 == 25]
    train_ch = [c for i, c in enumerate(chapters) if i % 50 != 25]
    t0 = time.time()
    docs, n_chat = build_documents(tok, train_ch, rng, args.chat_fraction)
    train = make_stream(docs, rng)
    val = torch.tensor([t for _, _, v in val_ch for t in tok.encode_ordinary(" ".join(v)) + [EOT]])
    log("data: %d train docs (%d chapters + %d ChatML exchanges), %d train tokens, %d held-out tokens (%d chapters), %.1fs"
        % (len(docs), len(train_ch), n_chat, len(train), len(val), len(val_ch), time.time() - t0))

    a = LlamaArgs(vocab_size=V, hidden_size=args.hidden, intermediate_size=args.intermediate,
                  num_hidden_layers=args.layers, num_attention_heads=args.heads, num_key_value_heads=args.kv_heads,
                  head_dim=args.hidden // args.heads, max_position_embeddings=args.context,
                  bos_token_id=EOT, eos_token_id=IM_END, pad_token_id=EOT)
    model = LlamaForCausalLM(a)
    n_params = sum(p.numel() for p in model.parameters())
    log("model: %d parameters (%.2fM), %s" % (n_params, n_params / 1e6, a))

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.95), eps=1e-8)

    T, B = args.context, args.batch
    budget = args.minutes * 60.0
    g = torch.Generator().manual_seed(args.seed)
    step, seen, ema = 0, 0, None
    history = []
    next_eval = budget / 6
    start = time.time()
    log("train: %.1f min budget, batch %d x %d tokens, lr %.1e cosine to %.1e over the budget, warmup %d steps, %s"
        % (args.minutes, B, T, args.lr, args.lr * args.min_lr_frac, args.warmup,
           "bfloat16 autocast" if args.amp else "float32"))
    while True:
        elapsed = time.time() - start
        if elapsed >= budget:
            break
        frac = elapsed / budget
        lr = args.lr * (args.min_lr_frac + (1 - args.min_lr_frac) * 0.5 * (1 + math.cos(math.pi * frac)))
        if step < args.warmup:
            lr *= (step + 1) / args.warmup
        for group in opt.param_groups:
            group["lr"] = lr
        ix = torch.randint(0, len(train) - T - 1, (B,), generator=g)
        x = torch.stack([train[i:i + T] for i in ix])
        y = torch.stack([train[i + 1:i + T + 1] for i in ix])
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.amp):
            logits = model(x)
        loss = torch.nn.functional.cross_entropy(logits.float().flatten(0, 1), y.flatten())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gn = float(torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0))
        opt.step()
        step += 1
        seen += B * T
        lv = float(loss)
        ema = lv if ema is None else 0.95 * ema + 0.05 * lv
        if step % 10 == 0 or step == 1:
            el = time.time() - start
            log("step %5d  %6.1f min  loss %.4f  ema %.4f  lr %.2e  gnorm %.2f  %.2f epochs  %.0f tok/s"
                % (step, el / 60, lv, ema, lr, gn, seen / len(train), seen / el))
        if time.time() - start >= next_eval:
            vl = eval_loss(model, val, T)
            history.append((round((time.time() - start) / 60, 1), step, round(ema, 4), round(vl, 4)))
            log("eval: step %d train(ema) %.4f held-out %.4f" % (step, ema, vl))
            next_eval += budget / 6
    train_minutes = (time.time() - start) / 60
    model.eval()
    final_train = eval_loss(model, train, T, batches=16, seed=1)
    final_val = eval_loss(model, val, T, batches=16, seed=2)
    log("done: %d steps, %.1f min, %d tokens (%.2f epochs); final loss train %.4f held-out %.4f"
        % (step, train_minutes, seen, seen / len(train), final_train, final_val))

    # ---------------------------------------------------------------- samples
    gen = torch.Generator().manual_seed(7)
    samples = []
    for kind, prompt in SAMPLE_PROMPTS:
        if kind == "chat":
            ids = tok.encode("<|im_start|>user\n" + prompt + "<|im_end|>\n<|im_start|>assistant\n")
        else:
            ids = [EOT] + tok.encode(prompt)
        greedy = generate(model, tok, ids, 60)
        sampled = generate(model, tok, ids, 60, temperature=0.8, top_k=40, gen=gen)
        samples.append({"kind": kind, "prompt": prompt, "greedy": greedy, "sampled": sampled})
        log("sample [%s] %r\n    greedy : %r\n    t=0.8  : %r" % (kind, prompt, greedy, sampled))

    # ---------------------------------------------------------------- export
    out = args.out
    sd = {k: v for k, v in model.state_dict().items()}
    tensors = {k: (v.to(torch.bfloat16) if args.dtype == "BF16" else v.float()) for k, v in sd.items()}
    save_safetensors(tensors, os.path.join(out, "model.safetensors"))
    with open(os.path.join(out, "config.json"), "w") as f:
        f.write(json.dumps(hf_config_dict(a), indent=2, sort_keys=True) + "\n")
    gen_cfg = {"bos_token_id": EOT, "do_sample": True, "eos_token_id": [IM_END, EOT], "max_new_tokens": 100,
               "pad_token_id": EOT, "temperature": 0.8, "top_k": 40, "transformers_version": "4.46.3"}
    with open(os.path.join(out, "generation_config.json"), "w") as f:
        f.write(json.dumps(gen_cfg, indent=2, sort_keys=True) + "\n")
    with open(os.path.join(out, "tokenizer_config.json")) as f:
        tc = json.load(f)
    assert tc["chat_template"] == CHAT_TEMPLATE

    # Reference logits from the in-memory model, for check_export.py.
    probe = tok.encode("<|im_start|>user\nIn the beginning God created the heaven and the earth.<|im_end|>\n"
                       "<|im_start|>assistant\nAnd the earth was without form")
    with torch.no_grad():
        ref = model(torch.tensor([probe]))[0].numpy()
    np.savez(os.path.join(WORK, "export_reference.npz"), ids=np.array(probe), logits=ref,
             dtype=np.array(args.dtype))
    torch.save({"args": vars(args), "state_dict": sd}, os.path.join(WORK, "checkpoint.pt"))

    stats = {"params": n_params, "steps": step, "train_minutes": round(train_minutes, 1), "tokens_seen": seen,
             "epochs": round(seen / len(train), 2), "train_tokens": len(train), "val_tokens": len(val),
             "n_chat": n_chat, "final_train_loss": round(final_train, 4), "final_val_loss": round(final_val, 4),
             "history": history, "samples": samples, "args": vars(args), "model_args": dict(a.__dict__), "vocab": V,
             "blas": os.environ.get("WAX_TRAIN_BLAS", "system default")}
    with open(os.path.join(WORK, "train_stats.json"), "w") as f:
        json.dump(stats, f, indent=2)
    write_readme(out, stats, a)

    import check_export
    check_export.verify(out, probe, ref, log=log)
    total = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    log("exported %s (%.2f MB): %s" % (out, total / 1e6, ", ".join(sorted(os.listdir(out)))))


def write_readme(out, s, a):
    name = os.path.basename(os.path.normpath(out))
    samples = []
    for smp in s["samples"]:
        if smp["kind"] == "chat":
            head = "Chat (user message rendered with the chat template, generation prompt appended): `%s`" % smp["prompt"]
        else:
            head = "Plain text after `<|endoftext|>`: `%s`" % smp["prompt"]
        samples.append("- %s\n  - greedy: %s\n  - temperature 0.8, top-k 40: %s"
                       % (head, json.dumps(smp["greedy"]), json.dumps(smp["sampled"])))
    hist = "\n".join("| %s | %d | %.3f | %.3f |" % tuple(h) for h in s["history"])
    files = ["config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "README.md"]
    text = f"""# {name}

A tiny Llama-architecture language model trained from scratch on the King James
Version of the Bible, as a small real default model for wax demos. It writes
recognisable Early Modern (KJV-style) English; it knows nothing else and is
not an assistant in any meaningful sense.

## Corpus and licence

- Text: the King James Version (1611) from Debian's `bible-kjv-text` package
  (`/usr/lib/bible.data`, decoded with the `bible` program of the `bible-kjv`
  package; see `tools/train/corpus.py`). The KJV text is in the **public
  domain** (Debian's copyright file: "The copyright for the King James
  Version text of the Bible is expired"). Verse numbers and chapter headings
  are stripped; each of the 1189 chapters is one plain-prose document.
- Every 50th chapter ({s['val_tokens']} tokens) is held out for the
  held-out loss; the rest ({s['train_tokens']} tokens including
  {s['n_chat']} ChatML exchanges: user = first half of a 2-6 verse group,
  assistant = its continuation) is the training stream. Documents are
  separated by `<|endoftext|>`.
- The weights are trained from this public-domain text only (no other
  data, no pretrained initialisation).

## Tokenizer

GPT-2 style byte-level BPE trained on the corpus by
`tools/train/train_tokenizer.py`: {s['vocab']} tokens = 3 special tokens
(`<|endoftext|>` = 0, `<|im_start|>` = 1, `<|im_end|>` = 2) + 256 byte
symbols + {s['vocab'] - 259} merges; GPT-2 pre-tokenization regex, no
normalizer, `ByteLevel` pre-tokenizer/post-processor/decoder, BPE without
byte fallback. About 4.1 characters per token on the KJV. Verified against
`@huggingface/tokenizers` (JS) by `tools/train/check_tokenizer.mjs`.

Chat template (ChatML, as Qwen2's):
`<|im_start|>role\\ncontent<|im_end|>\\n` per message, then
`<|im_start|>assistant\\n` when a generation prompt is requested.

## Model

`LlamaForCausalLM`: hidden {a.hidden_size}, {a.num_hidden_layers} layers,
{a.num_attention_heads} query heads / {a.num_key_value_heads} key-value heads
(head_dim {a.head_dim}), SwiGLU intermediate {a.intermediate_size}, RMSNorm
eps {a.rms_norm_eps}, RoPE theta {a.rope_theta:g}, context
{a.max_position_embeddings}, tied input/output embeddings, no biases.
**{s['params']:,} parameters**, stored as {s['args']['dtype']} in
`model.safetensors` (no `lm_head.weight`: it is tied to
`model.embed_tokens.weight`). `bos_token_id` 0, `eos_token_id` 2
(`<|im_end|>`); `generation_config.json` stops on both `<|im_end|>` and
`<|endoftext|>` and samples with temperature 0.8, top-k 40.

## Training

Plain PyTorch ({s['args']['batch']} x {a.max_position_embeddings}-token
random windows, {"bfloat16 autocast matmuls with float32 master weights" if s['args'].get('amp', True) else "float32"}, AdamW lr {s['args']['lr']:g} (betas 0.9/0.95, weight decay
{s['args']['weight_decay']:g}), {s['args']['warmup']}-step warmup then cosine
to {s['args']['min_lr_frac']:g}x over the wall-clock budget, gradient clip
1.0) on **one CPU thread** for **{s['train_minutes']} minutes**: {s['steps']}
steps, {s['tokens_seen']:,} tokens ({s['epochs']} epochs).

**Final loss (cross-entropy, nats/token): train {s['final_train_loss']},
held-out {s['final_val_loss']}.**

| minutes | step | train loss (EMA) | held-out loss |
|---|---|---|---|
{hist}

## Sample outputs

Generated by `tools/train/train_model.py` right after training (60 new tokens at most):

{chr(10).join(samples)}

## Files

{", ".join("`%s`" % f for f in files)}. `config.json` has the fields
`LlamaConfig.save_pretrained()` writes (transformers 4.46 layout).

## Regenerating

```sh
apt-get install -y python3-torch python3-numpy python3-regex bible-kjv-text bible-kjv libopenblas0-serial
/usr/bin/python3 tools/train/train_tokenizer.py               # tokenizer.json, tokenizer_config.json
node tools/train/check_tokenizer.mjs                          # compare with @huggingface/tokenizers
/usr/bin/python3 tools/train/train_model.py --minutes 35      # train + export (+ check_export)
/usr/bin/python3 tools/train/check_export.py                  # re-check the exported weights
```

`libopenblas0-serial` is optional but makes training ~30x faster than
Debian's reference BLAS; the script puts it on `LD_LIBRARY_PATH` for itself
only. Training is CPU-timing dependent, so a rerun gives a similar but not
bit-identical model.
"""
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
