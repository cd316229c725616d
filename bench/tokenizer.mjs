// Tokenizer throughput: wax's AutoTokenizer (C++ in the .wasm, in Node) against
// @huggingface/tokenizers (pure JS; the library transformers.js 4 uses) on the same tokenizer.json
// files and the same ~1 MB of mixed-language text, in one run, medians of 5 (these machines are
// shared and noisy: compare the ratio, not times across runs).
//   node bench/tokenizer.mjs   [--runs 5 --megabytes 1 --document 4096]
//
// The text: the oracle sentences of tests/fixtures/tokenizers/*/reference_slow.json (English, code,
// accents, Greek, Cyrillic, Arabic, Devanagari, Hangul, Japanese, Chinese, emoji, special-token
// look-alikes) and the lines of models/kjv-llama-5m/README.md, drawn at random (seeded) into
// documents of about --document bytes, each encoded with one call (special tokens added).
// The peer is installed on first use into bench/.peers/ (git-ignored), never as a wax dependency.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import { AutoTokenizer } from '../js/src/index.js';

const PEER = '@huggingface/tokenizers';
const PEER_VERSION = '0.2.0';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = join(ROOT, 'tests/fixtures/tokenizers');
const PEERS = join(ROOT, 'bench/.peers');

// One line per tokenizer: name → folder holding tokenizer.json and tokenizer_config.json.
const TOKENIZERS = {
  bytelevel_gpt2_real_vocab: join(FIXTURES, 'bytelevel_gpt2_real_vocab'),
  tiktoken_llama3: join(FIXTURES, 'tiktoken_llama3'),
  bytelevel_qwen2: join(FIXTURES, 'bytelevel_qwen2'),
  spm_llama_legacy: join(FIXTURES, 'spm_llama_legacy'),
  wordpiece_bert_uncased: join(FIXTURES, 'wordpiece_bert_uncased'),
  whisper_multilingual: join(FIXTURES, 'whisper_multilingual'),
  'kjv-llama-5m': join(ROOT, 'models/kjv-llama-5m'),
};

const { values: args } = parseArgs({ strict: false, options: {
  runs: { type: 'string', default: '5' }, megabytes: { type: 'string', default: '1' }, document: { type: 'string', default: '4096' },
} });
const runs = Number(args.runs), targetBytes = Number(args.megabytes) * 1e6, documentBytes = Number(args.document);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const utf8Length = (text) => Buffer.byteLength(text, 'utf8');

/** The peer's Tokenizer class, installed into bench/.peers/ when missing; null when it cannot be. */
async function loadPeer() {
  const folder = join(PEERS, 'node_modules', ...PEER.split('/'));
  try {
    if (!existsSync(join(folder, 'package.json'))) {
      mkdirSync(PEERS, { recursive: true });
      console.log(`installing ${PEER}@${PEER_VERSION} into bench/.peers/ (not a dependency of wax)`);
      execFileSync('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefix', '.', `${PEER}@${PEER_VERSION}`],
        { cwd: PEERS, stdio: ['ignore', 'ignore', 'inherit'] });
    }
    const pkg = JSON.parse(await readFile(join(folder, 'package.json'), 'utf8'));
    const { Tokenizer } = await import(pathToFileURL(join(folder, pkg.exports['.'].node.import)).href);
    return { Tokenizer, version: pkg.version };
  } catch (error) {
    console.warn(`warning: ${PEER} is not available (${error.message.split('\n')[0]}); printing wax alone`);
    return null;
  }
}

/** ~targetBytes of text as documents of ~documentBytes, drawn with a fixed seed. */
async function buildDocuments() {
  const sentences = new Set(), readme = [];
  for (const name of await readdir(FIXTURES)) {
    const file = join(FIXTURES, name, 'reference_slow.json');
    if (!existsSync(file)) continue;
    for (const { text } of JSON.parse(await readFile(file, 'utf8')).sentences) if (text.trim()) sentences.add(text);
  }
  for (const line of (await readFile(join(ROOT, 'models/kjv-llama-5m/README.md'), 'utf8')).split('\n')) if (line.trim()) readme.push(line);
  // Half the draws from each pool: the short multilingual sentences would be rare among the README's long lines.
  const pools = [[...sentences], readme];
  let state = 20240601;
  const random = () => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const documents = [];
  let total = 0, current = '';
  while (total < targetBytes) {
    const pool = pools[random() < 0.5 ? 0 : 1];
    const line = pool[Math.floor(random() * pool.length)];
    current = current ? `${current}\n${line}` : line;
    if (utf8Length(current) >= documentBytes) {
      documents.push(current);
      total += utf8Length(current);
      current = '';
    }
  }
  const nonAscii = documents.reduce((n, doc) => n + Buffer.from(doc).filter((byte) => byte > 0x7f).length, 0);
  return { documents, bytes: total, sentences: sentences.size, readmeLines: readme.length, nonAsciiShare: nonAscii / total };
}

/** Seconds to encode every document with `encode`. */
function timeEncode(encode, documents) {
  const start = performance.now();
  for (const doc of documents) encode(doc);
  return (performance.now() - start) / 1000;
}

const peer = await loadPeer();
const { documents, bytes, sentences, readmeLines, nonAsciiShare } = await buildDocuments();
console.log(`tokenizer throughput, MB/s (10^6 bytes of UTF-8 in), median of ${runs}: ${(bytes / 1e6).toFixed(2)} MB in ${documents.length} documents ` +
  `of ~${documentBytes} B (${sentences} fixture sentences + ${readmeLines} KJV README lines, ${(nonAsciiShare * 100).toFixed(1)}% of the bytes non-ASCII)`);
console.log(`peer: ${peer ? `${PEER} ${peer.version}` : 'none'}; wax: AutoTokenizer on the .wasm in Node ${process.version}`);
console.log(`${'tokenizer'.padEnd(28)} ${'wax'.padStart(9)} ${'peer'.padStart(9)} ${'wax/peer'.padStart(9)}  ids`);

for (const [name, folder] of Object.entries(TOKENIZERS)) {
  const ours = await AutoTokenizer.from_pretrained(folder);
  try {
    const encodeOurs = (text) => ours.encode(text);
    let encodeTheirs = null, idsNote = '';
    if (peer) {
      const [json, config] = await Promise.all(['tokenizer.json', 'tokenizer_config.json'].map(async (file) => JSON.parse(await readFile(join(folder, file), 'utf8'))));
      const theirs = new peer.Tokenizer(json, config);
      encodeTheirs = (text) => theirs.encode(text).ids;
      // The same ids first (this pass also warms both up).
      const differing = documents.filter((doc) => encodeOurs(doc).join() !== encodeTheirs(doc).join()).length;
      idsNote = differing === 0 ? `same on all ${documents.length} documents` : `WARNING: differ on ${differing} of ${documents.length} documents`;
    } else {
      documents.forEach(encodeOurs); // warm-up
    }
    const oursSeconds = [], theirsSeconds = [];
    for (let run = 0; run < runs; run++) { // interleaved, so that drift hits both alike
      oursSeconds.push(timeEncode(encodeOurs, documents));
      if (encodeTheirs) theirsSeconds.push(timeEncode(encodeTheirs, documents));
    }
    const oursRate = bytes / 1e6 / median(oursSeconds);
    const theirsRate = encodeTheirs ? bytes / 1e6 / median(theirsSeconds) : null;
    const cell = (value, digits = 2) => (value === null ? '–' : value.toFixed(digits)).padStart(9);
    console.log(`${name.padEnd(28)} ${cell(oursRate)} ${cell(theirsRate)} ${cell(theirsRate && oursRate / theirsRate)}  ${idsNote}`);
  } finally {
    ours.dispose();
  }
}
