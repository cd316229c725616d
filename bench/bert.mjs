// Sentence-embedding throughput on an all-MiniLM-L6-v2-shaped random BERT (hidden 384, 6 layers,
// 12 heads, inter 1536, vocab 30522), 128 tokens a sentence, batch 1 and batch 32, 1 and 2 threads:
// wax (Node, AutoModel + embed with mean pooling) against onnxruntime-web (its wasm backend, in
// Node) on an ONNX export of the same weights, measured in one run.
//   node bench/bert.mjs [--runs 5]
// The peer and the exporter's python3-torch are installed here on first use, never by wax itself.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function ensureTools() {
  if (!existsSync(`${peers}/node_modules/onnxruntime-web`)) {
    console.log(`installing onnxruntime-web@${ORT_VERSION} into bench/.peers/ort …`);
    execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error', '--prefix', peers, `onnxruntime-web@${ORT_VERSION}`], { stdio: 'inherit' });
  }
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch, numpy'], { stdio: 'ignore' });
  } catch {
    console.log('installing python3-torch for the ONNX export …');
    execFileSync('apt-get', ['install', '-y', '-q', 'python3-torch', 'python3-numpy'], { stdio: 'inherit' });
  }
}

async function loadOrt(threads) {
  const ort = await import(pathToFileURL(createRequire(`${peers}/`).resolve('onnxruntime-web')).href);
  ort.env.wasm.numThreads = threads;
  return ort;
}

/** The same random inputs for both engines: ids (batch, 128), a full mask, zero token types. */
function inputs(batch, vocab) {
  const ids = Array.from({ length: batch }, (_, b) => Array.from({ length: SEQ }, (_, t) => (t === 0 ? 101 : 1000 + ((b * 7919 + t * 104729) % (vocab - 1000)))));
  return { ids, mask: ids.map((row) => row.map(() => 1)), types: ids.map((row) => row.map(() => 0)) };
}

/** One engine and thread count, in its own process (wax reads its thread count once). */
async function childRun(engine, threads, folder, runs) {
  const vocab = JSON.parse(await readFile(`${folder}/config.json`, 'utf8')).vocab_size;
  const times = {};
  if (engine === 'wax') {
    const { AutoModel, Tensor, env } = await import('../js/src/index.js');
    env.wasm.numThreads = threads;
    const model = await AutoModel.from_pretrained(folder);
    for (const batch of [1, 32]) {
      const { ids, mask } = inputs(batch, vocab);
      const run = () => model.embed({ input_ids: ids, attention_mask: mask }, { pooling: 'mean', normalize: true });
      await run();
      const samples = [];
      for (let r = 0; r < (batch === 1 ? runs + 4 : runs); r++) {
        const start = performance.now();
        await run();
        samples.push(performance.now() - start);
      }
      times[batch] = median(samples);
    }
    model.dispose();
  } else {
    const ort = await loadOrt(threads);
    const session = await ort.InferenceSession.create(await readFile(`${folder}/model.onnx`), { executionProviders: ['wasm'] });
    for (const batch of [1, 32]) {
      const { ids, mask, types } = inputs(batch, vocab);
      const tensor = (rows) => new ort.Tensor('int64', BigInt64Array.from(rows.flat(), BigInt), [batch, SEQ]);
      const feeds = { input_ids: tensor(ids), attention_mask: tensor(mask), token_type_ids: tensor(types) };
      await session.run(feeds);
      const samples = [];
      for (let r = 0; r < (batch === 1 ? runs + 4 : runs); r++) {
        const start = performance.now();
        await session.run(feeds);
        samples.push(performance.now() - start);
      }
      times[batch] = median(samples);
    }
  }
  return times;
}

/** Both engines' last_hidden_state on one small batch of `folder`, and their largest difference. */
async function compareOutputs(folder) {
  const { AutoModel, env } = await import('../js/src/index.js');
  env.wasm.numThreads = 1;
  const vocab = JSON.parse(await readFile(`${folder}/config.json`, 'utf8')).vocab_size;
  const { ids, mask, types } = inputs(2, vocab);
  const model = await AutoModel.from_pretrained(folder);
  const ours = (await model.forward({ input_ids: ids, attention_mask: mask, token_type_ids: types })).last_hidden_state.data;
  model.dispose();
  const ort = await loadOrt(1);
  const session = await ort.InferenceSession.create(await readFile(`${folder}/model.onnx`), { executionProviders: ['wasm'] });
  const tensor = (rows) => new ort.Tensor('int64', BigInt64Array.from(rows.flat(), BigInt), [2, SEQ]);
  const theirs = (await session.run({ input_ids: tensor(ids), attention_mask: tensor(mask), token_type_ids: tensor(types) })).last_hidden_state.data;
  let worst = 0;
  for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
  return worst;
}

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '5' }, child: { type: 'string' } }, strict: false });
if (args.child) {
  const [engine, threads, folder] = args.child.split(',');
  console.log(JSON.stringify(await childRun(engine, Number(threads), folder, Number(args.runs))));
} else {
  ensureTools();
  const folder = await writeRandomBert(`${root}bench/.cache/minilm-l6`, 'minilm-l6');
  if (!existsSync(`${folder}/model.onnx`)) {
    // The exporter checks its module against the oracle BERT before exporting anything.
    execFileSync('/usr/bin/python3', [`${root}tools/bert_to_onnx.py`, folder, `${folder}/model.onnx`, '--check', `${root}tests/fixtures/bert_tiny_st`], { stdio: ['ignore', 'inherit', 'ignore'] });
  }
  console.log(`\nBERT, all-MiniLM-L6-v2 shape, random f32 weights, ${SEQ} tokens a sentence, medians of ${args.runs}+ runs; load ${loadavg()[0].toFixed(2)}`);
  console.log(`same weights: max |wax - onnxruntime-web| on last_hidden_state = ${(await compareOutputs(folder)).toExponential(2)}`);
  console.log('sentences/s                     wax   onnxruntime-web    ratio   (wax includes mean pooling + normalisation)');
  for (const threads of [1, 2]) {
    const run = async (engine) => JSON.parse((await promisify(execFile)(process.execPath,
      [fileURLToPath(import.meta.url), '--runs', args.runs, '--child', `${engine},${threads},${folder}`], { maxBuffer: 1 << 20 })).stdout);
    const ours = await run('wax');
    const theirs = await run('ort');
    for (const batch of [1, 32]) {
      const a = (batch * 1000) / ours[batch], b = (batch * 1000) / theirs[batch];
      console.log(`${threads} thread${threads > 1 ? 's' : ' '}, batch ${String(batch).padEnd(2)}        ${a.toFixed(1).padStart(8)} ${b.toFixed(1).padStart(17)} ${(a / b).toFixed(2).padStart(8)}`);
    }
  }
}
