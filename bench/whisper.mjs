// Speech recognition speed on whisper-tiny and whisper-base shaped random checkpoints
// (tools/random-whisper.mjs), 30 s of synthetic audio, 1 and 2 threads, all in one run: log-mel ms,
// encoder ms, decoder tokens/s and the real-time factor of a full transcription of one 30 s window
// with a fixed number of decoded tokens, for wax (Node, .wasm) against, on the same weights:
//   - whisper.cpp native (npm @fugood/whisper.node, prebuilt CPU binary; the ceiling),
//   - whisper.cpp in WebAssembly (npm @fugood/node-whisper-wasm, its single-thread build, in Node),
//   - onnxruntime-web (wasm backend, in Node) on an ONNX export (tools/whisper_to_onnx.py: encoder,
//     decoder, decoder with past, the split transformers.js runs), greedy decoding in JS.
//   node bench/whisper.mjs [--runs 3] [--whisper-shapes whisper-tiny,whisper-base]
// The token count: whisper.cpp decodes at most n_text_ctx/2 - 4 = 220 tokens in a window and stops
// early only at <|endoftext|> or an end-of-audio timestamp, which the random checkpoints never pick
// (tools/random-whisper.mjs), so every engine decodes 220 tokens after [SOT, <|en|>, <|transcribe|>].
// whisper.cpp's own counters (its bench(): one encode, 256 single-token decodes) give its encoder
// and decoder figures; its full transcription includes its log-mel. Each engine, shape and thread
// count runs in its own process. Peers are installed into bench/.peers/ on first use, never by wax.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';

import { whisperToGgml } from '../tools/whisper-to-ggml.mjs';
import { writeRandomWhisper } from '../tools/random-whisper.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const peers = { ort: `${root}bench/.peers/ort`, whisper: `${root}bench/.peers/whisper` };
const ORT_VERSION = '1.30.0', WHISPER_NODE_VERSION = '1.1.3';
const START_IDS = [50258, 50259, 50359]; // <|startoftranscript|> <|en|> <|transcribe|>
const NEW_TOKENS = 220; // whisper.cpp's per-window limit for a 448-position decoder
const AUDIO_SECONDS = 30, SAMPLING_RATE = 16000;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const load1 = () => loadavg()[0];

/**
 * The work every engine does on these weights, for the rates it reaches: the encoder's
 * multiply-adds (the conv stem as im2col products, the layers' projections and feed-forward, and
 * attention's q·kᵀ and p·v over all positions), and the bytes a decode step reads at f32 (every
 * decoder weight but the cross-attention's key/value projections, used once a window, plus the
 * tied proj_out and the cross-attention's cached keys and values).
 */
function whisperWork(config) {
  const { d_model: d, encoder_layers, decoder_layers, encoder_ffn_dim, decoder_ffn_dim, num_mel_bins, vocab_size, max_source_positions: positions } = config;
  const frames = 2 * positions;
  const encoderMacs = frames * num_mel_bins * 3 * d + positions * 3 * d * d +
    encoder_layers * (positions * (4 * d * d + 2 * d * encoder_ffn_dim) + 2 * positions * positions * d);
  const decodeFloats = decoder_layers * (6 * d * d + 2 * d * decoder_ffn_dim + 2 * positions * d) + vocab_size * d;
  return { encoderGflop: (2 * encoderMacs) / 1e9, decodeMb: (4 * decodeFloats) / 1e6 };
}

/** 30 s of speech-like synthetic audio: a gliding voiced tone with formants and noise, in syllables. */
function syntheticAudio() {
  const samples = new Float32Array(AUDIO_SECONDS * SAMPLING_RATE);
  let state = 12345, phase = 0;
  for (let i = 0; i < samples.length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    const t = i / SAMPLING_RATE, syllable = 0.5 + 0.5 * Math.sin(2 * Math.PI * 4 * t);
    phase += (2 * Math.PI * (120 + 30 * Math.sin(2 * Math.PI * 0.5 * t))) / SAMPLING_RATE;
    const voiced = Math.sin(phase) + 0.5 * Math.sin(3 * phase) + 0.3 * Math.sin(7 * phase);
    samples[i] = 0.2 * syllable * voiced + 0.01 * (state / 2 ** 32 - 0.5);
  }
  return samples;
}

function install(dir, packages) {
  console.log(`installing ${packages.join(', ')} into ${dir.slice(root.length)} …`);
  execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error', '--prefix', dir, ...packages], { stdio: 'inherit' });
}

/** Times `run` `runs` times after one warm-up; the median ms. */
async function timeMs(runs, run) {
  await run();
  const samples = [];
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    await run();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

async function waxChild(folder, threads, runs) {
  const { AutoModelForSpeechSeq2Seq, AutoProcessor, env, runtimeInfo } = await import('../js/src/index.js');
  env.wasm.numThreads = threads;
  let start = performance.now();
  const processor = await AutoProcessor.from_pretrained(folder);
  const model = await AutoModelForSpeechSeq2Seq.from_pretrained(folder);
  const loadMs = performance.now() - start;
  const runtime = await runtimeInfo();
  if (runtime.threads !== threads) throw new Error(`wax ran ${runtime.threads} threads, not ${threads}: ${runtime.reason}`);
  const audio = syntheticAudio();
  const { input_features } = await processor(audio);
  const melMs = await timeMs(runs, () => processor(audio));
  let encoded;
  const encoderMs = await timeMs(runs, async () => { encoded = (await model.encode({ input_features })).last_hidden_state; });
  const generate = (inputs, count) => model.generate({ ...inputs, decoder_input_ids: [START_IDS], max_new_tokens: count, eos_token_id: [] });
  // Decode speed: the 219 single-token steps, the prompt step's time (generate of 1 token) taken off.
  const oneMs = await timeMs(runs, () => generate({ encoder_hidden_states: encoded }, 1));
  const allMs = await timeMs(runs, () => generate({ encoder_hidden_states: encoded }, NEW_TOKENS));
  let ids;
  const fullMs = await timeMs(runs, async () => {
    const features = await processor(audio);
    ids = await generate({ input_features: features.input_features }, NEW_TOKENS);
  });
  const generated = Array.from(ids.data, Number).slice(START_IDS.length);
  model.dispose();
  return { loadMs, melMs, encoderMs, decodeTokensPerS: (NEW_TOKENS - 1) / ((allMs - oneMs) / 1000), fullMs, tokens: generated.length,
    firstIds: generated.slice(0, 16), text: processor.tokenizer.decode(generated, { skip_special_tokens: true }).slice(0, 60) };
}

async function ortChild(folder, threads, runs) {
  const ort = await import(pathToFileURL(createRequire(`${peers.ort}/`).resolve('onnxruntime-web')).href);
  ort.env.wasm.numThreads = threads;
  const config = JSON.parse(await readFile(`${folder}/config.json`, 'utf8'));
  const { begin_suppress_tokens: beginSuppress = [] } = JSON.parse(await readFile(`${folder}/generation_config.json`, 'utf8'));
  let start = performance.now();
  const session = async (name) => ort.InferenceSession.create(await readFile(`${folder}/onnx/${name}.onnx`), { executionProviders: ['wasm'] });
  const encoder = await session('encoder_model'), first = await session('decoder_model'), step = await session('decoder_with_past_model');
  const loadMs = performance.now() - start;
  // The same features wax computes (transformers.js computes them in JS, not timed here).
  const { AutoProcessor } = await import('../js/src/index.js');
  const { input_features } = await (await AutoProcessor.from_pretrained(folder))(syntheticAudio());
  const features = new ort.Tensor('float32', input_features.data, input_features.dims);
  const ids = (values) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length]);
  const argmax = (logits, row, suppress = []) => {
    const vocab = config.vocab_size, base = row * vocab;
    let best = -1;
    for (let v = 0; v < vocab; v++) if (!suppress.includes(v) && (best < 0 || logits[base + v] > logits[base + best])) best = v;
    return best;
  };
  let hidden;
  const encode = async () => { hidden = (await encoder.run({ input_features: features })).last_hidden_state; };
  const decode = async () => {
    const out = await first.run({ input_ids: ids(START_IDS), position_ids: ids(START_IDS.map((_, i) => i)), encoder_hidden_states: hidden });
    const tokens = [argmax(out.logits.data, START_IDS.length - 1, beginSuppress)];
    const cache = {};
    for (let i = 0; i < config.decoder_layers; i++) {
      for (const kind of ['decoder.key', 'decoder.value', 'encoder.key', 'encoder.value']) cache[`past_key_values.${i}.${kind}`] = out[`present.${i}.${kind}`];
    }
    const stepStart = performance.now();
    while (tokens.length < NEW_TOKENS) {
      const position = START_IDS.length + tokens.length - 1;
      const next = await step.run({ input_ids: ids([tokens.at(-1)]), position_ids: ids([position]), ...cache });
      for (let i = 0; i < config.decoder_layers; i++) {
        for (const kind of ['decoder.key', 'decoder.value']) cache[`past_key_values.${i}.${kind}`] = next[`present.${i}.${kind}`];
      }
      tokens.push(argmax(next.logits.data, 0));
    }
    return { tokens, stepsMs: performance.now() - stepStart };
  };
  const encoderMs = await timeMs(runs, encode);
  let decoded;
  const decodeSpeeds = [];
  const fullMs = await timeMs(runs, async () => {
    await encode();
    decoded = await decode();
    decodeSpeeds.push((NEW_TOKENS - 1) / (decoded.stepsMs / 1000));
  });
  return { loadMs, encoderMs, decodeTokensPerS: median(decodeSpeeds), fullMs, tokens: decoded.tokens.length, firstIds: decoded.tokens.slice(0, 16),
    note: 'full excludes log-mel' };
}

async function whisperCppChild(engine, ggml, threads, runs) {
  const audio = syntheticAudio();
  const options = { language: 'en', maxThreads: threads, temperatureInc: 0, duration: AUDIO_SECONDS * 1000 };
  let context, release;
  const start = performance.now();
  if (engine === 'whisper.cpp') {
    const { initWhisper } = createRequire(`${peers.whisper}/`)('@fugood/whisper.node');
    context = await initWhisper({ filePath: ggml, useGpu: false });
    release = () => context.release();
  } else {
    // The package is written for pages: it fetches the model and its .wasm by URL. Node's fetch has no
    // file: URLs, so this process answers those from disk. Its pthread build needs a page's Worker.
    globalThis.navigator ??= { hardwareConcurrency: threads, userAgent: `Node.js/${process.versions.node}` }; // Node 20 has none
    const nodeFetch = globalThis.fetch;
    globalThis.fetch = async (url, init) => {
      const href = String(url);
      if (!href.startsWith('file:')) return nodeFetch(url, init);
      const type = href.endsWith('.wasm') ? 'application/wasm' : 'application/octet-stream';
      return new Response(await readFile(fileURLToPath(href)), { headers: { 'content-type': type } });
    };
    const wasm = await import(pathToFileURL(createRequire(`${peers.whisper}/`).resolve('@fugood/node-whisper-wasm')).href);
    wasm.configureWasm({ worker: false, threads: false, cacheModel: false });
    context = await wasm.initWhisper({ filePath: pathToFileURL(ggml).href, useGpu: false, cacheModel: false });
    release = () => context.release();
  }
  const loadMs = performance.now() - start;
  let result;
  const fullMs = await timeMs(runs, async () => { result = await context.transcribeData(audio.slice().buffer, options).promise; });
  const bench = await context.bench(threads); // whisper.cpp's counters: ms per encode and per single-token decode
  await release();
  const text = result.segments.map((s) => s.text).join('');
  return { loadMs, encoderMs: bench.encodeMs, decodeTokensPerS: 1000 / bench.decodeMs, fullMs, windows: result.segments.length,
    text: text.trim().slice(0, 60), system: bench.config };
}

const ENGINES = {
  'wax': { threads: [1, 2] },
  'onnxruntime-web': { threads: [1, 2] },
  'whisper.cpp wasm': { threads: [1], skip: { 2: 'its pthread build starts page Workers, which Node does not have' } },
  'whisper.cpp': { threads: [1, 2] },
};

const { values: args } = parseArgs({ options: {
  runs: { type: 'string', default: '3' }, 'whisper-shapes': { type: 'string', default: 'whisper-tiny,whisper-base' }, child: { type: 'string' },
}, strict: false });
if (args.child) {
  const [engine, file, threads] = args.child.split(',');
  const runs = Number(args.runs);
  const result = engine === 'wax' ? await waxChild(file, Number(threads), runs)
    : engine === 'onnxruntime-web' ? await ortChild(file, Number(threads), runs)
      : await whisperCppChild(engine, file, Number(threads), runs);
  console.log(JSON.stringify({ ...result, peak: process.resourceUsage().maxRSS * 1024 }));
} else {
  if (!existsSync(`${peers.ort}/node_modules/onnxruntime-web/package.json`)) install(peers.ort, [`onnxruntime-web@${ORT_VERSION}`]);
  if (!existsSync(`${peers.whisper}/node_modules/@fugood/whisper.node/package.json`)) {
    install(peers.whisper, [`@fugood/whisper.node@${WHISPER_NODE_VERSION}`, `@fugood/node-whisper-wasm@${WHISPER_NODE_VERSION}`]);
  }
  const cpu = execFileSync('lscpu').toString().match(/Model name:\s*(.+)/)?.[1] ?? cpus()[0].model;
  console.log(`\nWhisper, random f32 weights, ${AUDIO_SECONDS} s of synthetic audio, ${NEW_TOKENS} tokens decoded after ${START_IDS.length} start ids; ` +
    `medians of ${args.runs} runs after a warm-up; CPU ${cpu}, ${cpus().length} vCPUs; load = 1-min loadavg before-after each process`);
  console.log('wax: Node, .wasm, AutoProcessor + AutoModelForSpeechSeq2Seq; whisper.cpp: @fugood/whisper.node (native) and @fugood/node-whisper-wasm ' +
    `(single-thread .wasm in Node), ggml F32 by tools/whisper-to-ggml.mjs; onnxruntime-web ${ORT_VERSION} (wasm, Node) on tools/whisper_to_onnx.py's export`);
  console.log('x wax = wax speed / that engine\'s speed (above 1: wax is faster); full = log-mel + encoder + 220 tokens for one 30 s window');
  for (const shape of args['whisper-shapes'].split(',')) {
    const folder = await writeRandomWhisper(`${root}bench/.cache/${shape}-random`, shape);
    const stale = (made, ...sources) => !existsSync(made) || sources.some((s) => statSync(s).mtimeMs > statSync(made).mtimeMs);
    const ggml = `${folder}/ggml-model-f32.bin`;
    if (stale(ggml, `${folder}/model.safetensors`, `${root}tools/whisper-to-ggml.mjs`)) await whisperToGgml(folder, ggml);
    if (stale(`${folder}/onnx/decoder_with_past_model.onnx`, `${folder}/model.safetensors`, `${root}tools/whisper_to_onnx.py`)) {
      execFileSync('/usr/bin/python3', [`${root}tools/whisper_to_onnx.py`, folder, `${folder}/onnx`], { stdio: ['ignore', 'ignore', 'ignore'] });
    }
    const work = whisperWork(JSON.parse(await readFile(`${folder}/config.json`, 'utf8')));
    console.log(`\n${shape} shape: the encoder is ${work.encoderGflop.toFixed(1)} GFLOP of products, a decode step reads ${work.decodeMb.toFixed(0)} MB ` +
      '(GFLOP/s and GB/s: the rates each engine reaches on them)');
    console.log(`${'engine'.padEnd(17)}${'threads'.padStart(8)}${'load ms'.padStart(9)}${'mel ms'.padStart(8)}${'encoder ms'.padStart(11)}${'GFLOP/s'.padStart(8)}${'x wax'.padStart(7)}` +
      `${'decode tok/s'.padStart(13)}${'GB/s'.padStart(6)}${'x wax'.padStart(7)}${'full ms'.padStart(9)}${'RTF'.padStart(7)}${'x wax'.padStart(7)}${'load'.padStart(11)}`);
    const wax = {}, results = {}, checks = [];
    for (const engine of Object.keys(ENGINES)) {
      for (const threads of [1, 2]) {
        const label = `${engine.padEnd(17)}${String(threads).padStart(8)}`;
        const skip = ENGINES[engine].skip?.[threads];
        if (skip) { console.log(`${label}   not run: ${skip}`); continue; }
        const before = load1();
        let r;
        try {
          const file = engine === 'wax' || engine === 'onnxruntime-web' ? folder : ggml;
          const child = () => promisify(execFile)(process.execPath, [fileURLToPath(import.meta.url), '--runs', args.runs, '--child', `${engine},${file},${threads}`],
            { maxBuffer: 1 << 22 });
          // One retry: on this shared machine js/dist can be mid-rebuild when a child loads it.
          r = JSON.parse((await child().catch(child)).stdout);
        } catch (error) {
          const lines = String(error.stderr || error.message).split('\n');
          console.log(`${label}   not run: ${lines.find((l) => /^\w*(Error|Exception)\b|^Error:|Aborted\(|Killed|out of memory/i.test(l)) ?? lines.filter(Boolean).at(-2)}`);
          continue;
        }
        const load = `${before.toFixed(1)}-${load1().toFixed(1)}`;
        if (engine === 'wax') wax[threads] = r;
        (results[engine] ??= {})[threads] = r;
        const ours = wax[threads];
        const ratio = (a, b) => (a && b ? (a / b).toFixed(2) : '—');
        const fmt = (v, digits = 0) => (v === undefined ? '—' : v.toFixed(digits));
        const gflops = r.encoderMs && work.encoderGflop / (r.encoderMs / 1000), gbps = r.decodeTokensPerS && (work.decodeMb * r.decodeTokensPerS) / 1000;
        console.log(`${label}${fmt(r.loadMs).padStart(9)}${fmt(r.melMs, 1).padStart(8)}${fmt(r.encoderMs).padStart(11)}${fmt(gflops, 1).padStart(8)}` +
          `${(engine === 'wax' ? '' : ratio(r.encoderMs, ours?.encoderMs)).padStart(7)}` +
          `${fmt(r.decodeTokensPerS, 1).padStart(13)}${fmt(gbps, 1).padStart(6)}${(engine === 'wax' ? '' : ratio(ours?.decodeTokensPerS, r.decodeTokensPerS)).padStart(7)}` +
          `${fmt(r.fullMs).padStart(9)}${(r.fullMs / 1000 / AUDIO_SECONDS).toFixed(3).padStart(7)}${(engine === 'wax' ? '' : ratio(r.fullMs, ours?.fullMs)).padStart(7)}${load.padStart(11)}` +
          `${r.note ? `  (${r.note})` : ''}`);
        if (threads === 1 && r.firstIds) checks.push(`${engine} first ids ${r.firstIds.slice(0, 8).join(' ')}`);
        if (threads === 1 && r.system) checks.push(`${engine} ggml ${r.system.replace(/\s*\|\s*$/, '').replace(/\s+/g, ' ')}`);
        if (threads === 1 && r.text !== undefined) checks.push(`${engine} text "${r.text}"${r.windows !== undefined ? ` (${r.windows} window)` : ''}`);
      }
    }
    console.log(`same weights: ${checks.join('; ')}`);
    // The goals (issue 13): encoder and full transcription >= 1.5x the fastest wasm peer, >= 0.5x native.
    for (const threads of [1, 2]) {
      const ours = wax[threads];
      if (!ours) continue;
      const goal = (key, label) => {
        const wasmPeers = ['onnxruntime-web', 'whisper.cpp wasm'].map((e) => [e, results[e]?.[threads]?.[key]]).filter(([, v]) => v);
        const [fastest, peerMs] = wasmPeers.sort((a, b) => a[1] - b[1])[0] ?? [];
        const nativeMs = results['whisper.cpp']?.[threads]?.[key];
        const vsWasm = peerMs ? peerMs / ours[key] : undefined, vsNative = nativeMs ? nativeMs / ours[key] : undefined;
        return `${label} ${vsWasm ? `${vsWasm.toFixed(2)}x ${fastest} (${vsWasm >= 1.5 ? 'met' : 'MISSED'})` : 'no wasm peer'}, ` +
          `${vsNative ? `${vsNative.toFixed(2)}x native (${vsNative >= 0.5 ? 'met' : 'MISSED'})` : 'no native figure'}`;
      };
      console.log(`goals at ${threads} thread${threads > 1 ? 's' : ''}: ${goal('encoderMs', 'encoder')}; ${goal('fullMs', 'full transcription')}`);
    }
  }
}
