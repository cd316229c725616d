// Runs inside Chromium (tests/browser/oracle.html): the oracle checks on the public JS API, with
// the .npy references fetched from the test server. Each check returns a small JSON summary;
// the Node side (llama_oracle.test.mjs) asserts on it.
import { AutoModel, AutoModelForCausalLM, Tensor, WaxError, env, pipeline } from '../../js/src/index.js';

// ?threads=N runs the page (and the wax worker, which adopts env) on N threads.
const threads = new URLSearchParams(location.search).get('threads');
if (threads) env.wasm.numThreads = Number(threads);
import { firstMismatch, withinTolerance } from '../helpers/compare.mjs';
import { readNpy } from '../helpers/npy.mjs';

const FIXTURES = new URL('../fixtures/', import.meta.url);

async function npy(folder, file) {
  const url = new URL(file, folder);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return readNpy(await response.arrayBuffer());
}

/** A tolerance result without the bulky parts. */
function closeness(actual, reference, mask) {
  const dimsEqual = actual.dims.join() === reference.dims.join();
  const r = dimsEqual ? withinTolerance(actual.data, reference.data, mask) : { ok: false };
  return { ok: r.ok, maxAbsDiff: r.maxAbsDiff, tolerance: r.tolerance, compared: r.compared, dims: actual.dims, referenceDims: reference.dims };
}

/** Exact equality of generated ids; on a mismatch, both sequences for the message. */
function sameIds(actual, reference) {
  const dimsEqual = actual.dims.join() === reference.dims.join();
  const mismatch = dimsEqual ? firstMismatch(actual.data, reference.data) : 0;
  const equal = dimsEqual && mismatch === -1;
  return {
    equal,
    firstMismatch: mismatch,
    dims: actual.dims,
    referenceDims: reference.dims,
    ...(equal ? {} : { actual: Array.from(actual.data, Number), reference: Array.from(reference.data, Number) }),
  };
}

/** newTokens = reference length − prompt length, eos disabled, as the oracle generated. */
function newTokens(greedy, prompt) {
  return greedy.dims[1] - prompt.dims[1];
}

/**
 * Forward logits, greedy ids (KV cache), and the left-padded batch of one oracle fixture. Ids go
 * in as int64 Tensors straight from the .npy files.
 */
export async function checkFixture(name) {
  const folder = new URL(`${name}/`, FIXTURES);
  const [input, logits, greedy, batchInput, batchMask, batchLogits, batchGreedy] = await Promise.all([
    'input_ids.npy', 'logits.npy', 'greedy_ids.npy',
    'batch_input_ids.npy', 'batch_attention_mask.npy', 'batch_logits.npy', 'batch_greedy_ids.npy',
  ].map((file) => npy(folder, file)));
  const ids = new Tensor('int64', input.data, input.dims);
  const batchIds = new Tensor('int64', batchInput.data, batchInput.dims);
  const mask = new Tensor('int64', batchMask.data, batchMask.dims);

  const start = performance.now();
  const model = await AutoModelForCausalLM.from_pretrained(folder);
  try {
    const single = await model.forward({ input_ids: ids });
    const generated = await model.generate({ input_ids: ids, max_new_tokens: newTokens(greedy, input), eos_token_id: [] });
    const batch = await model.forward({ input_ids: batchIds, attention_mask: mask });
    const batchGenerated = await model.generate({
      input_ids: batchIds, attention_mask: mask, max_new_tokens: newTokens(batchGreedy, batchInput), eos_token_id: [],
    });
    return {
      logits: closeness(single.logits, logits),
      greedy: sameIds(generated, greedy),
      batchLogits: closeness(batch.logits, batchLogits, batchMask.data), // mask [B, T] over logits [B, T, V]
      batchGreedy: sameIds(batchGenerated, batchGreedy),
      ms: Math.round(performance.now() - start),
      runtime: model.runtime, // the wax worker's build: threads and why
    };
  } finally {
    model.dispose();
  }
}

/** Loads `url` expecting a failure; describes what was thrown (or that it loaded). */
export async function loadError(url) {
  try {
    const model = await AutoModelForCausalLM.from_pretrained(new URL(url, location.href));
    model.dispose();
    return { loaded: true };
  } catch (error) {
    return { loaded: false, isWaxError: error instanceof WaxError, name: error?.name, code: error?.code, message: error?.message };
  }
}

/** Seeded sampling on one fixture, for comparison with the same call in Node. */
export async function sample(name, prompt, options) {
  const model = await AutoModelForCausalLM.from_pretrained(new URL(`${name}/`, FIXTURES));
  try {
    return (await model.generate({ input_ids: [prompt], ...options })).tolist()[0].map(Number);
  } finally {
    model.dispose();
  }
}

/**
 * The oracle BERT fixture in this page's default mode (the model in the wax worker): token
 * states, pooler, and the sentence embeddings of the reference texts through the pipeline.
 */
export async function checkBert() {
  const folder = new URL('bert_tiny_st/', FIXTURES);
  const [ids, mask, types, hidden, pooler, normalized] = await Promise.all(['input_ids.npy', 'attention_mask.npy',
    'token_type_ids.npy', 'last_hidden_state.npy', 'pooler_output.npy', 'embedding_normalized.npy'].map((file) => npy(folder, file)));
  const texts = (await (await fetch(new URL('reference.json', folder))).json()).texts;
  const model = await AutoModel.from_pretrained(folder);
  const extractor = await pipeline('feature-extraction', folder);
  try {
    const asTensor = (a) => new Tensor('int64', a.data, a.dims);
    const out = await model.forward({ input_ids: asTensor(ids), attention_mask: asTensor(mask), token_type_ids: asTensor(types) });
    const embeddings = await extractor(texts);
    const rows = texts.length * normalized.dims[1];
    return {
      inWorker: model.__remote === true && extractor.__remote === true,
      last_hidden_state: closeness(out.last_hidden_state, hidden),
      pooler_output: closeness(out.pooler_output, pooler),
      embeddings: closeness(embeddings, { dims: [texts.length, normalized.dims[1]], data: normalized.data.subarray(0, rows) }),
    };
  } finally {
    await model.dispose();
    await extractor.dispose();
  }
}

window.oracle = { checkFixture, checkBert, loadError, sample, crossOriginIsolated: globalThis.crossOriginIsolated };
window.oracleReady = true;
