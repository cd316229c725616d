// The demo's model work: load a Llama-family folder (in the wax worker, the library's default on
// a page; on the main thread where no worker can start), generate greedily from the folder's own
// prompt (input_ids.npy), and compare with the oracle's continuation (greedy_ids.npy).
import { AutoModelForCausalLM } from '../../js/src/index.js';
import { firstMismatch } from '../../tests/helpers/compare.mjs';
import { readNpy } from '../../tests/helpers/npy.mjs';

/** Row 0 of an id array stored next to the model ([1, T] int64), as numbers. */
async function fetchIds(folder, file) {
  const url = new URL(file, folder);
  let response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw Object.assign(new Error(`${url}: request failed (${error.message})`), { code: 'DEMO_FETCH_FAILED' });
  }
  if (!response.ok) {
    throw Object.assign(new Error(`${url}: HTTP ${response.status} ${response.statusText}`.trim() +
      `. The demo compares against the oracle files, so the folder needs input_ids.npy and greedy_ids.npy next to the model.`),
    { code: 'DEMO_NO_ORACLE' });
  }
  const { dims, data } = readNpy(await response.arrayBuffer());
  return Array.from(data.subarray(0, dims.at(-1)), Number);
}

/**
 * @param {string} modelUrl absolute URL of the model folder
 * @param {(event: object) => void} progress_callback wax's progress events
 * @returns {Promise<object>} what the page shows, and `where` the model ran
 */
export async function runDemo(modelUrl, progress_callback) {
  const folder = new URL(modelUrl.endsWith('/') ? modelUrl : `${modelUrl}/`);
  const loadStart = performance.now();
  const model = await AutoModelForCausalLM.from_pretrained(folder, { progress_callback });
  const loadMs = performance.now() - loadStart;
  try {
    const [prompt, oracle] = await Promise.all([fetchIds(folder, 'input_ids.npy'), fetchIds(folder, 'greedy_ids.npy')]);
    const maxNewTokens = oracle.length - prompt.length;
    progress_callback({ status: 'generate', max_new_tokens: maxNewTokens });
    const generateStart = performance.now();
    const output = await model.generate({ input_ids: [prompt], max_new_tokens: maxNewTokens, eos_token_id: [] });
    const generateMs = performance.now() - generateStart;
    const ids = Array.from(output.data, Number);
    const { model_type, num_hidden_layers, hidden_size, vocab_size, torch_dtype } = model.config;
    return {
      folder: folder.href,
      config: { model_type, num_hidden_layers, hidden_size, vocab_size, torch_dtype },
      prompt,
      generated: ids.slice(prompt.length),
      oracle: oracle.slice(prompt.length),
      mismatch: firstMismatch(ids, oracle), // -1: equal
      loadMs,
      generateMs,
      where: model.__remote ? 'module worker' : 'main thread',
    };
  } finally {
    await model.dispose();
  }
}
