// Cross-check models/<name>/tokenizer.json against the real JavaScript
// implementation of Hugging Face tokenizers (@huggingface/tokenizers).
//
//   node tools/train/check_tokenizer.mjs [models/kjv-llama-5m]
//
// For ~60 test strings it compares the token ids from the JS library with the
// ids from the Python reference encoder in train_tokenizer.py (run through
// /usr/bin/python3), and checks that JS decode(encode(s)) == s.
// The npm dependency is installed into a temp dir on first use (set
// TOKCHECK_DIR to reuse an existing install with node_modules/@huggingface/tokenizers).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modelDir = resolve(process.argv[2] ?? join(here, "..", "..", "models", "kjv-llama-5m"));

async function loadPackage(name) {
  const dir = process.env.TOKCHECK_DIR ?? join(tmpdir(), "wax-tokcheck");
  const pkgDir = join(dir, "node_modules", ...name.split("/"));
  if (!existsSync(pkgDir)) {
    mkdirSync(dir, { recursive: true });
    if (!existsSync(join(dir, "package.json"))) {
      writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "wax-tokcheck", private: true }));
    }
    console.log(`installing ${name} into ${dir}`);
    execFileSync("npm", ["install", "--no-audit", "--no-fund", name], { cwd: dir, stdio: "inherit" });
  }
  const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
  const entry = pkg.exports?.["."]?.node?.import ?? pkg.exports?.["."]?.import ?? pkg.module ?? pkg.main;
  const mod = await import(pathToFileURL(join(pkgDir, typeof entry === "string" ? entry : entry.default)).href);
  return { mod, version: pkg.version };
}

async function loadLibrary() {
  const { mod, version } = await loadPackage("@huggingface/tokenizers");
  return { Tokenizer: mod.Tokenizer, version };
}

const tests = [
  "In the beginning God created the heaven and the earth.",
  "And the earth was without form, and void; and darkness was upon the face of the deep.",
  "And God said, Let there be light: and there was light.",
  "The LORD is my shepherd; I shall not want.",
  "For God so loved the world, that he gave his only begotten Son, that whosoever believeth in him should not perish, but have everlasting life.",
  "Jesus wept.",
  "Blessed are the meek: for they shall inherit the earth.",
  "Vanity of vanities, saith the Preacher; all is vanity.",
  "And Enoch walked with God: and he was not; for God took him.",
  "Thou shalt love thy neighbour as thyself.",
  "Who is this that darkeneth counsel by words without knowledge?",
  "O LORD, how manifold are thy works! in wisdom hast thou made them all.",
  "(Now Barabbas was a robber.)",
  "Melchizedek, Nebuchadnezzar, Mahershalalhashbaz and Zerubbabel.",
  "Hello, world! This is a test of the tokenizer.",
  "It's the dog's bone; they'll say we've done it, I'm sure he'd agree.",
  "IT'S LOUD. They'RE here. We'VE seen it.",
  "Numbers: 0 1 12 123 1234 3.14159 2024-01-01 and 1,000,000.",
  "The year 1611 saw the King James Version printed.",
  "  leading spaces and trailing spaces   ",
  "multiple    inner     spaces",
  "tabs\tand\ttabbed\t\ttext",
  "line one\nline two\n\nline four\n",
  "\n\n\n",
  " ",
  "",
  "a",
  "Supercalifragilisticexpialidocious antidisestablishmentarianism",
  "email@example.com https://huggingface.co/docs?x=1&y=2#frag",
  "snake_case camelCase PascalCase kebab-case SCREAMING_CASE",
  "function f(x) { return x * 2 + 1; } // comment",
  "Quotes: \"double\" 'single' `back` «guillemets» “curly” ‘curly’",
  "Punctuation!!! ??? ... --- ;;; ::: ,,,",
  "Café naïve résumé façade coöperate Ångström",
  "Ελληνικά, русский, עברית, العربية",
  "中文测试，日本語のテキスト、한국어",
  "Emoji: 😀 🙏🏽 👨‍👩‍👧 ❤️",
  "Math: ∑ ∫ √2 ≈ 1.414, α+β=γ",
  "<|endoftext|>",
  "before<|endoftext|>after",
  "<|im_start|>user\nWho made the heaven and the earth?<|im_end|>\n<|im_start|>assistant\n",
  "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n",
  "text with <|im_end|> in the middle and <|im_start|> too",
  "<|endoftext|><|endoftext|><|im_start|><|im_end|>",
  "almost special <|endoftext| and <|im_start and |im_end|>",
  "And he said unto them, Go ye into all the world, and preach the gospel to every creature.",
  "Let not your heart be troubled: ye believe in God, believe also in me.",
  "And the LORD God formed man of the dust of the ground, and breathed into his nostrils the breath of life; and man became a living soul.",
  "Remember now thy Creator in the days of thy youth, while the evil days come not.",
  "Wherefore, seeing we also are compassed about with so great a cloud of witnesses, let us lay aside every weight.",
  "I am Alpha and Omega, the beginning and the ending, saith the Lord, which is, and which was, and which is to come, the Almighty.",
  "The quick brown fox jumps over the lazy dog.",
  "Mixed\r\nline\rendings\r\n",
  "trailing newline\n",
  "  \n  \t indented\n    code",
  "123abc456def ABC123 a1b2c3",
  "don't won't can't shouldn't",
  "'s 't 're 've 'm 'll 'd",
  "Zero\u200bwidth\u00a0nbsp and soft\u00adhyphen",
];

// Python reference ids for every test string.
const py = `
import json, sys
sys.path.insert(0, ${JSON.stringify(here)})
from train_tokenizer import Tokenizer
tok = Tokenizer(${JSON.stringify(join(modelDir, "tokenizer.json"))})
tests = json.load(sys.stdin)
print(json.dumps([tok.encode(t) for t in tests]))
`;
const pyIds = JSON.parse(execFileSync("/usr/bin/python3", ["-c", py], { input: JSON.stringify(tests), maxBuffer: 1 << 26 }).toString());

const { Tokenizer, version } = await loadLibrary();
const tokenizerJson = JSON.parse(readFileSync(join(modelDir, "tokenizer.json"), "utf8"));
const tokenizerConfig = JSON.parse(readFileSync(join(modelDir, "tokenizer_config.json"), "utf8"));
const tok = new Tokenizer(tokenizerJson, tokenizerConfig);

let failures = 0;
let totalTokens = 0;
tests.forEach((text, i) => {
  const enc = tok.encode(text);
  const ids = Array.from(enc.ids ?? enc.input_ids ?? enc, Number);
  totalTokens += ids.length;
  const same = ids.length === pyIds[i].length && ids.every((v, k) => v === pyIds[i][k]);
  const decoded = ids.length ? tok.decode(ids, { skip_special_tokens: false }) : ""; // the library rejects []
  const roundTrip = decoded === text;
  if (!same || !roundTrip) {
    failures++;
    console.log(`FAIL #${i} ${JSON.stringify(text)}`);
    if (!same) console.log(`  js ids: ${JSON.stringify(ids)}\n  py ids: ${JSON.stringify(pyIds[i])}`);
    if (!roundTrip) console.log(`  decode: ${JSON.stringify(decoded)}`);
  }
});

// Special tokens must map to the ids the model was trained with.
const specials = { "<|endoftext|>": 0, "<|im_start|>": 1, "<|im_end|>": 2 };
for (const [t, id] of Object.entries(specials)) {
  const ids = Array.from(tok.encode(t).ids, Number);
  if (ids.length !== 1 || ids[0] !== id) {
    failures++;
    console.log(`FAIL special ${t}: ${JSON.stringify(ids)} (want [${id}])`);
  }
}
// The chat template, rendered by @huggingface/jinja (the Jinja engine of
// transformers.js), must give exactly the ChatML text train_model.py trains on.
{
  const { mod: jinja, version: jv } = await loadPackage("@huggingface/jinja");
  const template = new jinja.Template(tokenizerConfig.chat_template);
  const messages = [
    { role: "user", content: "The LORD is my shepherd; I shall not want." },
    { role: "assistant", content: "He maketh me to lie down in green pastures." },
    { role: "user", content: "And then?" },
  ];
  const rendered = template.render({ messages, add_generation_prompt: true });
  const want = messages.map((m) => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`).join("") + "<|im_start|>assistant\n";
  const py2 = `
import json, sys
sys.path.insert(0, ${JSON.stringify(here)})
from train_model import chat_text
print(json.dumps(chat_text(*json.load(sys.stdin))))
`;
  const trainFormat = JSON.parse(execFileSync("/usr/bin/python3", ["-c", py2], { input: JSON.stringify([messages[0].content, messages[1].content]), env: { ...process.env, WAX_TRAIN_BLAS: "none" } }).toString());
  const ids = Array.from(tok.encode(rendered).ids, Number);
  const okTemplate = rendered === want && rendered.startsWith(trainFormat) && ids[0] === 1 && ids.filter((t) => t === 2).length === 3;
  if (!okTemplate) {
    failures++;
    console.log(`FAIL chat template: ${JSON.stringify(rendered)}`);
  } else {
    console.log(`@huggingface/jinja ${jv}: chat template renders the ChatML format used in training (${ids.length} tokens)`);
  }
}

const vocabSize = Object.keys(tokenizerJson.model.vocab).length;
console.log(`@huggingface/tokenizers ${version}: ${tests.length} strings (${totalTokens} tokens), vocab ${vocabSize}, ` +
  `${failures === 0 ? "all ids equal to the Python encoder and every decode round-trips" : failures + " FAILURES"}`);
process.exit(failures === 0 ? 0 : 1);
