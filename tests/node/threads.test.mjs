// The threaded build in Node: the same outputs as one thread, and a process that exits by itself
// once its models are disposed (idle pthread workers must not keep it alive).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { it } from 'node:test';

const index = new URL('../../js/src/index.js', import.meta.url).href;
const runtime = new URL('../../js/src/runtime.js', import.meta.url).href;
const fixture = fileURLToPath(new URL('../fixtures/llama_gqa_tied', import.meta.url));

async function runWithThreads(threads) {
  const script = `
    const { AutoModelForCausalLM } = await import(${JSON.stringify(index)});
    const { runtimeInfo } = await import(${JSON.stringify(runtime)});
    const model = await AutoModelForCausalLM.from_pretrained(${JSON.stringify(fixture)});
    const out = await model.generate({ input_ids: [[1, 404, 442, 316]], max_new_tokens: 12, do_sample: true, seed: 9, eos_token_id: [] });
    const { logits } = await model.forward({ input_ids: [[1, 404, 442, 316, 312, 452, 265]] });
    model.dispose();
    console.log(JSON.stringify({ info: await runtimeInfo(), ids: out.tolist()[0].map(Number), logits: Array.from(logits.data.slice(0, 64)) }));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, WAX_NUM_THREADS: String(threads) }, timeout: 30_000,
  });
  return JSON.parse(stdout);
}

it('two threads give the same ids and logits as one, and the process exits after dispose()', async () => {
  const [one, two] = await Promise.all([runWithThreads(1), runWithThreads(2)]);
  assert.equal(one.info.threaded, false);
  assert.deepEqual(two.info, { threads: 2, threaded: true, reason: 'Node' });
  assert.deepEqual(two.ids, one.ids);
  assert.deepEqual(two.logits, one.logits); // the split is by output columns: each sum is computed the same way
});
