// Sentence-embedding throughput on an all-MiniLM-L6-v2-shaped random BERT (hidden 384, 6 layers,
// 12 heads, inter 1536, vocab 30522), 128 tokens a sentence, batch 1 and batch 32, 1 and 2 threads:
// wax (Node, AutoModel + embed with mean pooling) against onnxruntime-web (its wasm backend, in
// Node) on an ONNX export of the same weights, measured in one run.
//   node bench/bert.mjs [--runs 5] [--rounds 2]
// Before timing: the exporter's torch module is checked against the oracle BERT
// (tests/fixtures/bert_tiny_st), the oracle's own ONNX export is run in onnxruntime-web against the
// same reference, and wax and onnxruntime-web must give the same last_hidden_state on the MiniLM
// weights. Each engine and thread count runs in its own process (wax reads its thread count once,
// when its module loads); `--rounds` repeats the set in alternating order and pools the samples.
// The peer (bench/.peers/ort) and the exporter's python3-torch are installed here on first use,
// never by wax itself.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';

import { writeRandomBert } from '../tools/random-bert.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const peers = `${root}bench/.peers/ort`;
const ORT_VERSION = '1.30.0';
const SEQ = 128;
const BATCHES = [1, 32];
const WARMUP_RUNS = 2, WARMUP_MS = 4000;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const load1 = () => loadavg()[0];

function ensureTools() {
  const installed = `${peers}/node_modules/onnxruntime-web/package.json`;
  if (!existsSync(installed)) {
    console.log(`installing onnxruntime-web@${ORT_VERSION} into bench/.peers/ort …`);
    execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error', '--prefix', peers, `onnxruntime-web@${ORT_VERSION}`], { stdio: 'inherit' });
  }
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch, numpy'], { stdio: 'ignore' });
  } catch {
    console.log('installing python3-torch for the ONNX export …');
    execFileSync('apt-get', ['install', '-y', '-q', 'python3-torch', 'python3-numpy'], { stdio: 'inherit' });
  }
  return JSON.parse(readFileSync(installed, 'utf8')).version;
}

async function loadOrt(threads) {
  const ort = await import(pathToFileURL(createRequire(`${peers}/`).resolve('onnxruntime-web')).href);
  ort.env.wasm.numThreads = threads;
  return ort;
}

/** A .npy file (little-endian f4 / i8, C order) as { data, shape }. */
function readNpy(file) {
  const bytes = readFileSync(file);
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.subarray(10, 10 + headerLength).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').filter((s) => s.trim()).map(Number);
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: Fortran order`);
  const body = bytes.buffer.slice(bytes.byteOffset + 10 + headerLength, bytes.byteOffset + bytes.length);
  const types = { '<f4': Float32Array, '<i8': BigInt64Array };
  if (!types[descr]) throw new Error(`${file}: dtype ${descr} not read here`);
  return { data: new types[descr](body), shape };
}

const maxAbs = (a) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const maxAbsDiff = (a, b) => {
  if (a.length !== b.length) throw new Error(`length ${a.length} against ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
};

/** The same inputs for both engines: ids (batch, 128) starting with [CLS], a full mask, zero token types. */
function inputs(batch, vocab) {
  const ids = Array.from({ length: batch }, (_, b) => Array.from({ length: SEQ }, (_, t) => (t === 0 ? 101 : 1000 + ((b * 7919 + t * 104729) % (vocab - 1000)))));
  return { ids, mask: ids.map((row) => row.map(() => 1)), types: ids.map((row) => row.map(() => 0)) };
}

/** One engine and thread count, in its own process: median ms per batch size, load, runtime. */
async function childRun(engine, threads, folder, runs) {
  const vocab = JSON.parse(await readFile(`${folder}/config.json`, 'utf8')).vocab_size;
  const result = { samples: {}, load: [load1()] };
  const time = async (batch, run) => {
    // Warm-up: V8 first runs wasm in its baseline compiler and tiers hot functions up in the
    // background, later under load (onnxruntime-web's large module took up to ~12 runs here).
    const warmStart = performance.now();
    for (let r = 0; r < WARMUP_RUNS || performance.now() - warmStart < WARMUP_MS; r++) await run();
    const samples = [];
    for (let r = 0; r < (batch === 1 ? 3 * runs : runs); r++) {
      const start = performance.now();
      await run();
      samples.push(performance.now() - start);
    }
    result.samples[batch] = samples;
  };
  if (engine === 'wax') {
    const { AutoModel, env, runtimeInfo } = await import('../js/src/index.js');
    env.wasm.numThreads = threads;
    const model = await AutoModel.from_pretrained(folder);
    result.runtime = await runtimeInfo();
    for (const batch of BATCHES) {
      const { ids, mask } = inputs(batch, vocab);
      await time(batch, () => model.embed({ input_ids: ids, attention_mask: mask }, { pooling: 'mean', normalize: true }));
    }
    model.dispose();
  } else {
    const ort = await loadOrt(threads);
    const session = await ort.InferenceSession.create(await readFile(`${folder}/model.onnx`), { executionProviders: ['wasm'] });
    result.runtime = { threads: ort.env.wasm.numThreads };
    for (const batch of BATCHES) {
      const { ids, mask, types } = inputs(batch, vocab);
      const tensor = (rows) => new ort.Tensor('int64', BigInt64Array.from(rows.flat(), BigInt), [batch, SEQ]);
      const feeds = { input_ids: tensor(ids), attention_mask: tensor(mask), token_type_ids: tensor(types) };
      await time(batch, () => session.run(feeds));
    }
  }
  result.load.push(load1());
  return result;
}

/** onnxruntime-web on the oracle's own ONNX export, against the oracle's last_hidden_state. */
async function checkOracleOnnx(oracle, onnxFile) {
  const ort = await loadOrt(1);
  const session = await ort.InferenceSession.create(await readFile(onnxFile), { executionProviders: ['wasm'] });
  const feeds = {};
  for (const name of ['input_ids', 'attention_mask', 'token_type_ids']) {
    const { data, shape } = readNpy(`${oracle}/${name}.npy`);
    feeds[name] = new ort.Tensor('int64', data, shape);
  }
  const reference = readNpy(`${oracle}/last_hidden_state.npy`).data;
  const ours = (await session.run(feeds)).last_hidden_state.data;
  return { diff: maxAbsDiff(ours, reference), tolerance: 1e-4 * Math.max(1, maxAbs(reference)) };
}

/** Both engines' last_hidden_state on one batch of `folder`, and wax's embedding against pooling ORT's states. */
async function compareOutputs(folder) {
  const { AutoModel, env } = await import('../js/src/index.js');
  env.wasm.numThreads = 1;
  const config = JSON.parse(await readFile(`${folder}/config.json`, 'utf8'));
  const batch = 2, hidden = config.hidden_size;
  const { ids, mask, types } = inputs(batch, config.vocab_size);
  mask[1] = mask[1].map((_, t) => (t < 100 ? 1 : 0)); // a padded second row
  const model = await AutoModel.from_pretrained(folder);
  const ours = (await model.forward({ input_ids: ids, attention_mask: mask, token_type_ids: types })).last_hidden_state.data;
  const embedding = (await model.embed({ input_ids: ids, attention_mask: mask }, { pooling: 'mean', normalize: true })).data;
  model.dispose();
  const ort = await loadOrt(1);
  const session = await ort.InferenceSession.create(await readFile(`${folder}/model.onnx`), { executionProviders: ['wasm'] });
  const tensor = (rows) => new ort.Tensor('int64', BigInt64Array.from(rows.flat(), BigInt), [batch, SEQ]);
  const theirs = (await session.run({ input_ids: tensor(ids), attention_mask: tensor(mask), token_type_ids: tensor(types) })).last_hidden_state.data;
  // Compared where the mask is 1 (padded positions' states are an artefact of either engine's masking).
  let states = 0;
  for (let b = 0; b < batch; b++)
    for (let t = 0; t < SEQ; t++)
      if (mask[b][t]) {
        const at = (b * SEQ + t) * hidden;
        states = Math.max(states, maxAbsDiff(ours.subarray(at, at + hidden), theirs.subarray(at, at + hidden)));
      }
  // ORT's states mean-pooled over the mask and L2-normalised here, against wax's embed().
  const pooled = new Float32Array(batch * hidden);
  for (let b = 0; b < batch; b++) {
    const row = pooled.subarray(b * hidden, (b + 1) * hidden);
    let count = 0;
    for (let t = 0; t < SEQ; t++) {
      if (!mask[b][t]) continue;
      count++;
      for (let i = 0; i < hidden; i++) row[i] += theirs[(b * SEQ + t) * hidden + i];
    }
    let norm = 0;
    for (let i = 0; i < hidden; i++) norm += (row[i] /= count) ** 2;
    for (let i = 0; i < hidden; i++) row[i] /= Math.max(Math.sqrt(norm), 1e-12);
  }
  return { states, scale: maxAbs(theirs), embedding: maxAbsDiff(embedding, pooled) };
}

const { values: args } = parseArgs({ options: {
  runs: { type: 'string', default: '5' }, rounds: { type: 'string', default: '2' }, child: { type: 'string' },
}, strict: false });
if (args.child) {
  const [engine, threads, folder] = args.child.split(',');
  console.log(JSON.stringify(await childRun(engine, Number(threads), folder, Number(args.runs))));
} else {
  const ortVersion = ensureTools();
  const oracle = `${root}tests/fixtures/bert_tiny_st`;
  const folder = await writeRandomBert(`${root}bench/.cache/minilm-random`, 'minilm-l6');
  const python = (argv) => execFileSync('/usr/bin/python3', [`${root}tools/bert_to_onnx.py`, ...argv], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();

  console.log(`\nBERT export checks (tools/bert_to_onnx.py, onnxruntime-web ${ortVersion}):`);
  // The exporter checks its torch module against the oracle before exporting anything.
  const oracleOnnx = `${root}bench/.cache/bert_tiny_st.onnx`;
  process.stdout.write(python(['--check', oracle, '--check-onnx', oracleOnnx]).split('\n').filter((l) => l.startsWith('check')).map((l) => `  torch module: ${l.replace(root, '')}\n`).join(''));
  const onnxCheck = await checkOracleOnnx(oracle, oracleOnnx);
  console.log(`  ONNX export in onnxruntime-web: check ${oracle.slice(root.length)}: max abs diff ${onnxCheck.diff.toExponential(2)} (tolerance ${onnxCheck.tolerance.toExponential(2)})`);
  if (!(onnxCheck.diff <= onnxCheck.tolerance)) throw new Error('the ONNX export does not match the oracle in onnxruntime-web: not timing it');
  const onnxFile = `${folder}/model.onnx`;
  const stale = (f) => !existsSync(f) || [`${folder}/model.safetensors`, `${root}tools/bert_to_onnx.py`].some((s) => statSync(s).mtimeMs > statSync(f).mtimeMs);
  if (stale(onnxFile)) python([folder, onnxFile]);
  const same = await compareOutputs(folder);
  console.log(`  same MiniLM weights, batch 2 x ${SEQ} (row 2 padded after 100): max |wax - onnxruntime-web| last_hidden_state ${same.states.toExponential(2)} ` +
    `(values up to ${same.scale.toFixed(2)}); wax embed() against onnxruntime-web's states mean-pooled + normalised: ${same.embedding.toExponential(2)}`);
  if (!(same.states <= 1e-4 * Math.max(1, same.scale))) throw new Error('wax and onnxruntime-web disagree: not timing them');

  const rounds = Number(args.rounds);
  console.log(`\nBERT, all-MiniLM-L6-v2 shape, random f32 weights, ${SEQ} tokens a sentence; medians of ${args.runs} runs (batch 1: ${3 * Number(args.runs)}) ` +
    `after >= ${WARMUP_RUNS} warm-up runs and ${WARMUP_MS / 1000} s per batch size and process, pooled over ${rounds} round(s) of fresh processes; best = the same ratio from each engine's fastest run; load = 1-min loadavg over that line's processes (2 cores)`);
  console.log('wax: AutoModel + embed (mean pooling + normalisation, fp32); onnxruntime-web: wasm backend, session.run returning last_hidden_state only (no pooling)');
  console.log(`${'threads, batch'.padEnd(18)}${'wax sent/s'.padStart(12)}${'(ms/batch)'.padStart(12)}${'ort-web sent/s'.padStart(16)}${'(ms/batch)'.padStart(12)}${'wax/ort'.padStart(9)}${'best'.padStart(7)}   load`);
  const rows = [];
  for (const threads of [1, 2]) {
    const results = { wax: [], ort: [] };
    for (let round = 0; round < rounds; round++) {
      for (const engine of round % 2 ? ['ort', 'wax'] : ['wax', 'ort']) {
        const { stdout } = await promisify(execFile)(process.execPath,
          [fileURLToPath(import.meta.url), '--runs', args.runs, '--child', `${engine},${threads},${folder}`], { maxBuffer: 1 << 20 });
        const result = JSON.parse(stdout);
        if (engine === 'wax' && result.runtime.threads !== threads) throw new Error(`wax ran ${result.runtime.threads} threads, not ${threads}: ${result.runtime.reason}`);
        results[engine].push(result);
      }
    }
    const loads = [...results.wax, ...results.ort].flatMap((r) => r.load);
    for (const batch of BATCHES) {
      const all = (engine) => results[engine].flatMap((r) => r.samples[batch]);
      const ours = median(all('wax')), theirs = median(all('ort'));
      const a = (batch * 1000) / ours, b = (batch * 1000) / theirs;
      const best = Math.min(...all('ort')) / Math.min(...all('wax'));
      rows.push({ threads, batch, wax_ms: ours, ort_ms: theirs, ratio: a / b, best });
      console.log(`${`${threads} thread${threads > 1 ? 's' : ''}, batch ${batch}`.padEnd(18)}${a.toFixed(1).padStart(12)}${ours.toFixed(1).padStart(12)}` +
        `${b.toFixed(1).padStart(16)}${theirs.toFixed(1).padStart(12)}${(a / b).toFixed(2).padStart(9)}${best.toFixed(2).padStart(7)}   ${Math.min(...loads).toFixed(2)}-${Math.max(...loads).toFixed(2)}`);
    }
  }
  const slow = rows.filter((r) => r.ratio < 1.3);
  if (slow.length) console.log(`below the 1.3x goal: ${slow.map((r) => `${r.threads}T batch ${r.batch} (${r.ratio.toFixed(2)}x)`).join(', ')}; build/native/wax_bench_bert under perf record says where wax's time goes (bench/bert_forward.cpp)`);
}
