// Loader probes that Node (tests/node/issue11-probes.test.mjs) and Chromium
// (tests/browser/issue11-probes.js) run alike, each then checking its own cache.
import { AutoModelForCausalLM, clearCache } from '../../js/src/index.js';

/**
 * clearCache() while the weights of `repo` download: the load starts (in the wax worker when
 * `worker`), the cache is cleared at its first progress event for model.safetensors, and the load
 * must still end, its model disposed. Whatever the load wrote must not be in the cache afterwards.
 */
export async function clearDuringDownload(repo, worker) {
  let downloading;
  const started = new Promise((resolve) => { downloading = resolve; });
  const progress_callback = (event) => { if (event.status === 'progress' && event.file === 'model.safetensors') downloading(); };
  const loading = AutoModelForCausalLM.from_pretrained(repo, { worker, progress_callback });
  await started;
  await clearCache();
  await (await loading).dispose();
}
