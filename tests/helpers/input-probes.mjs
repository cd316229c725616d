// Issue 11's input probes, run the same way in Node (tests/node/issue11-probes.test.mjs, in a
// fresh process per mode) and on a page in Chromium (tests/browser/issue11-probes.test.mjs): bad
// inputs through a model, a pipeline and a tokenizer of `source` (the bundled kjv-llama-5m, 256
// positions, vocab 4096), each probe's outcome kept as JSON for the test to assert on.
import { AutoModelForCausalLM, AutoTokenizer, Tensor, TextStreamer, WaxError, pipeline } from '../../js/src/index.js';
import { getRuntime, isNode } from '../../js/src/runtime.js';

/**
 * Runs every probe twice (the first round leaves what is kept for reuse; the second must leave
 * the heap where the first did) and returns, for each, the outcome ({ ok, value } or the error's
 * name, code and message), whether the model still gave its greedy ids after it, and the heap's
 * growth in-process; with the greedy ids before and after, unhandled rejections seen, and the heap
 * in use after each round (in-process; null in the worker, whose heap the page cannot read).
 * `onStep`, when given, is told each step as it starts ({ round, probe }; round null while
 * loading), so that a caller waiting on the run can name the one that never answers.
 *
 * @param {{ source: string, worker: boolean, onStep?: (step: { round: number | null, probe: string }) => void }} options
 */
export async function runInputProbes({ source, worker, onStep = () => {} }) {
  const options = { worker };
  onStep({ round: null, probe: 'loading the model, tokenizer and pipeline and their greedy ids' });
  const model = await AutoModelForCausalLM.from_pretrained(source, options);
  const tokenizer = await AutoTokenizer.from_pretrained(source, options);
  const generator = await pipeline('text-generation', source, options);
  const greedy = async () => (await model.generate({ input_ids: [[1, 404, 442]], max_new_tokens: 6, do_sample: false, eos_token_id: [] })).tolist()[0].map(Number);
  const expected = await greedy();
  const runtime = worker ? null : await getRuntime();
  const heapBefore = runtime?.heapUsed();
  const unhandled = [];
  const onUnhandled = (error) => unhandled.push(String(error?.reason ?? error));
  if (isNode) process.on('unhandledRejection', onUnhandled);
  else addEventListener('unhandledrejection', onUnhandled);
  const results = {};
  let round = 0;
  const probe = async (name, run) => {
    onStep({ round, probe: name });
    let outcome;
    try {
      const value = await run();
      outcome = { ok: true, value: value?.dims ?? value };
    } catch (error) {
      outcome = { ok: false, waxError: error instanceof WaxError, name: error?.name, code: error?.code, message: String(error?.message) };
    }
    outcome.stillGreedy = JSON.stringify(await greedy()) === JSON.stringify(expected);
    outcome.heapGrowth = runtime ? runtime.heapUsed() - heapBefore : 0; // since before the first round
    results[name] = outcome;
  };
  const generate = (input_ids, more = {}) => model.generate({ input_ids, max_new_tokens: 2, do_sample: false, eos_token_id: [], ...more });
  const newTokens = async (run) => { const out = await run(); return out.dims[1]; };
  const throwing = (what) => () => { throw new Error(what + ' threw'); };

  // The first round leaves what is kept for reuse: scratch sized by the largest batch, the tokenizer's caches.
  const heapAfterRound = [];
  for (; round < 2; round++) {
    await probe('max_new_tokens 256 (the positions)', () => newTokens(() => generate([[1]], { max_new_tokens: 256 })));
    await probe('max_new_tokens 257', () => generate([[1]], { max_new_tokens: 257 }));
    await probe('pipeline max_new_tokens 257', () => generator('In the', { max_new_tokens: 257 }));
    await probe('pipeline max_new_tokens 1e9', () => generator('In the', { max_new_tokens: 1e9 }));
    await probe('pipeline empty prompt', () => generator(''));
    await probe('pipeline temperature NaN', () => generator('In the', { do_sample: true, temperature: NaN }));
    await probe('pipeline chat without content', () => generator([{ role: 'user' }]));
    await probe('KV cache of 200000 rows', () => generate(Array.from({ length: 200000 }, () => [5]), { max_new_tokens: 200 }));
    for (const Type of [Int32Array, Float64Array, BigInt64Array, Uint16Array]) {
      const row = Type === BigInt64Array ? BigInt64Array.from([1n, 404n, 442n]) : Type.from([1, 404, 442]);
      await probe(Type.name + ' rows', async () => (await generate([row, row])).tolist().map((r) => r.map(Number)));
    }
    await probe('Float64Array row with 404.5', () => generate([Float64Array.from([1, 404.5])]));
    await probe('BigInt64Array row with 2^33', () => generate([BigInt64Array.from([1n, 2n ** 33n])]));
    await probe('ids as number[][] for reference', async () => (await generate([[1, 404, 442], [1, 404, 442]])).tolist().map((r) => r.map(Number)));
    await probe('attention_mask a string', () => generate([[1, 404]], { attention_mask: 'yes' }));
    await probe('attention_mask a float32 Tensor of 0.5', () => generate([[1, 404]], { attention_mask: new Tensor('float32', [1, 0.5], [1, 2]) }));
    await probe('attention_mask of 2', () => generate([[1, 404]], { attention_mask: [[1, 2]] }));
    await probe('attention_mask all 0', () => generate([[1, 404]], { attention_mask: [[0, 0]] }));
    await probe('streamer put throws', () => generate([[1, 404]], { max_new_tokens: 8, streamer: { put: throwing('put'), end() {} } }));
    await probe('streamer end throws', () => generate([[1, 404]], { streamer: { put() {}, end: throwing('end') } }));
    await probe('streamer put rejects', () => generate([[1, 404]], { streamer: { async put() { throw new Error('async put rejected'); }, end() {} } }));
    await probe('TextStreamer callback throws', () => generate([[1, 404]], { streamer: new TextStreamer(tokenizer, { callback_function: throwing('callback_function') }) }));
    await probe('pipeline TextStreamer callback throws', () => generator('In the', { max_new_tokens: 3, streamer: new TextStreamer(generator.tokenizer, { callback_function: throwing('pipeline callback_function') }) }));
    await probe('stopping_criteria throws', () => generate([[1, 404]], { stopping_criteria: throwing('stopping_criteria') }));
    await probe('pipeline stopping_criteria throws', () => generator('In the', { max_new_tokens: 3, stopping_criteria: throwing('pipeline stopping_criteria') }));
    await probe('tokenizer max_length 1e9', () => tokenizer('In the', { padding: 'max_length', max_length: 1e9 }));
    await probe('tokenizer empty batch', () => tokenizer([]));
    await probe('tokenizer number', () => tokenizer(['In', 5]));
    await probe('disposed while generating', async () => {
      const doomed = await AutoModelForCausalLM.from_pretrained(source, options);
      let puts = 0;
      return doomed.generate({ input_ids: [[1, 2]], max_new_tokens: 200, do_sample: false, eos_token_id: [],
        streamer: { put() { if (++puts === 3) doomed.dispose(); }, end() {} } });
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    heapAfterRound.push(runtime?.heapUsed());
  }
  onStep({ round: null, probe: 'the greedy ids after both rounds, and disposing' });
  const afterAll = await greedy();
  if (isNode) process.off('unhandledRejection', onUnhandled);
  else removeEventListener('unhandledrejection', onUnhandled);
  await model.dispose();
  await generator.dispose();
  await tokenizer.dispose?.();
  return { expected, afterAll, results, unhandled, heapAfterRound };
}
