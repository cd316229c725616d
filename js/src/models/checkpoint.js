// The steps every model shares: config.json, the safetensors headers (refusing a model that
// cannot fit before its weights download), the weights streamed into the heap, handed to C++.
import { WaxError, throwIfAborted } from '../errors.js';
import { assertFits } from '../loader/preflight.js';
import { downloadWeightFiles, openWeightFiles } from '../loader/shards.js';
import { openSource } from '../loader/source.js';
import { getRuntime } from '../runtime.js';

export function parseJson(text, file, label, code = 'WAX_BAD_CONFIG') {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new WaxError(`${label}/${file}: not valid JSON (${error.message})`, { code, cause: error });
  }
}

/**
 * Loads `source` and builds a C++ model: `build(runtime, weightsHandle, configPtr, optionsPtr)`
 * calls the binding that consumes the weights and returns a handle. `extraJson` names optional
 * JSON files to read (before the download, so a bad one fails early); absent ones give {}.
 * @returns {Promise<{ runtime: object, handle: number, config: object, extra: object, files: object, name: string }>}
 */
export async function loadCheckpoint(source, { signal, progress_callback, revision, max_length, dtype, task } = {}, build,
  extraJson = []) {
  const name = typeof source === 'string' ? source : String(source?.href ?? 'model');
  const files = openSource(source, { revision, progress_callback, name });
  files.progress.awaitWeights();
  const [runtime, configText] = await Promise.all([getRuntime(), files.readText('config.json', { signal })]);
  const config = parseJson(configText, 'config.json', files.label);
  const extra = {};
  for (const file of extraJson) {
    const text = await files.readText(file, { signal, optional: true });
    extra[file] = text ? parseJson(text, file, files.label) : {};
  }

  const plan = await openWeightFiles(files, { signal });
  await assertFits({ label: files.label, config, plan, dtype, max_length, inUseBytes: runtime.heapUsed() });
  const blocks = await downloadWeightFiles(files, runtime, plan, { signal });

  const weights = runtime.plain('wax_weights_new');
  let handed = 0, configPtr = 0, optionsPtr = 0;
  try {
    for (const { ptr, size, label } of blocks) {
      const fileName = runtime.copyString(label, 'a file name');
      handed++; // wax_weights_add_file owns ptr from here on, also when it fails
      try {
        runtime.call('wax_weights_add_file', weights, fileName, ptr, size);
      } finally {
        runtime.free(fileName);
      }
    }
    throwIfAborted(signal);
    configPtr = runtime.copyString(configText, 'config.json');
    optionsPtr = runtime.copyString(JSON.stringify({ dtype: dtype ?? 'fp32' }), 'load options');
  } catch (error) {
    blocks.slice(handed).forEach((block) => runtime.free(block.ptr));
    runtime.plain('wax_weights_free', weights);
    runtime.free(configPtr);
    throw error;
  }
  try {
    const handle = build(runtime, weights, configPtr, optionsPtr) >>> 0; // consumes weights
    files.progress.ready(task, name);
    return { runtime, handle, config, extra, files, name };
  } finally {
    runtime.free(configPtr);
    runtime.free(optionsPtr);
  }
}
