// The steps every model shares: config.json, the safetensors headers (refusing a model that
// cannot fit before its weights download), the weights streamed into the heap, handed to C++.
import { WaxError, throwIfAborted } from '../errors.js';
import { assertFits } from '../loader/preflight.js';
import { tensorRunSink } from '../loader/fetch-to-heap.js';
import { downloadWeightFiles, openWeightFiles } from '../loader/shards.js';
import { openSource } from '../loader/source.js';
import { getRuntime } from '../runtime.js';

/**
 * Loads `source` as the model class `modelClassFor(config)` answers (models/registry.js): reads
 * generation_config.json when the class `loadsGenerationConfig` (before the download, so a file
 * that is not JSON fails early), streams the weights into the heap and hands them with both files'
 * text to wax_model_load as the class's `modelTask`; C++ reads and keeps them.
 * `local_files_only`: nothing is fetched (repo ids and URLs come from the cache), as transformers.js.
 * @returns {Promise<import('./pretrained-model.js').PreTrainedModel>}
 */
export async function loadCheckpoint(source, { signal, progress_callback, revision, max_length, dtype, task, local_files_only } = {},
  modelClassFor) {
  const name = typeof source === 'string' ? source : String(source?.href ?? 'model');
  const files = openSource(source, { revision, progress_callback, name, local_files_only });
  files.progress.awaitWeights();
  const [runtime, { text: configText, json: config }] = await Promise.all([getRuntime(), files.readJson('config.json', { signal })]);
  const ModelClass = modelClassFor(config);
  const generationConfigText = ModelClass.loadsGenerationConfig
    ? (await files.readJson('generation_config.json', { signal, optional: true }))?.text ?? '' : '';

  const options = { signal, dtype, max_length, optionsJson: JSON.stringify({ dtype: dtype ?? 'fp32', model_type: config.model_type }) };
  const plan = await openAndCheckFit(files, runtime, config, options);
  const weights = convertsWhileStreaming(dtype) || plan.files.some((entry) => entry.opened.size > WHOLE_FILE_LIMIT_BYTES)
    ? await streamTensorRuns(files, runtime, config, options, plan)
    : await downloadWholeFiles(files, runtime, plan, signal);
  const strings = [];
  try {
    throwIfAborted(signal);
    strings.push(runtime.copyString(configText, 'config.json'), runtime.copyString(options.optionsJson, 'load options'),
      runtime.copyString(ModelClass.modelTask, 'the model task'), runtime.copyString(generationConfigText, 'generation_config.json'));
  } catch (error) {
    runtime.plain('wax_weights_free', weights);
    strings.forEach((ptr) => runtime.free(ptr));
    throw error;
  }
  try {
    const [configPtr, optionsPtr, taskPtr, generationConfigPtr] = strings;
    const handle = runtime.call('wax_model_load', configPtr, weights, optionsPtr, taskPtr, generationConfigPtr) >>> 0; // consumes weights
    const model = new ModelClass(runtime, handle, config);
    // Tensors the model never read (a config.json with fewer layers than its checkpoint): one warning.
    const unused = model.modelInfo().unused_tensors;
    if (unused.length) {
      console.warn(`wax: ${files.label}: ${unused.length} tensor${unused.length > 1 ? 's' : ''} of the checkpoint not used by the ` +
        `model: ${unused.slice(0, 5).map((tensor) => `'${tensor}'`).join(', ')}${unused.length > 5 ? ` and ${unused.length - 5} more` : ''}` +
        '. Does config.json (num_hidden_layers, ...) describe this checkpoint?');
    }
    files.progress.ready(task, name);
    return model;
  } finally {
    strings.forEach((ptr) => runtime.free(ptr));
  }
}

/**
 * Files above this go to C++ in runs of tensors whatever the dtype: Emscripten 3.1.6's sbrk takes
 * a signed 32-bit increment, so one malloc past 2 GiB fails (a 2.47 GB Llama-3.2-1B file).
 */
const WHOLE_FILE_LIMIT_BYTES = 1024 ** 3;

/** q8/q4/fp16 anywhere in `dtype` (a string, or a per-module map): weights are converted as they stream in. */
function convertsWhileStreaming(dtype) {
  const names = typeof dtype === 'string' ? [dtype] : Object.values(dtype ?? {});
  return names.some((name) => name === 'q8' || name === 'q4' || name === 'fp16');
}

async function openAndCheckFit(files, runtime, config, { signal, dtype, max_length }) {
  const plan = await openWeightFiles(files, { signal });
  try {
    await assertFits({ label: files.label, config, plan, dtype, max_length, inUseBytes: runtime.heapUsed() });
  } catch (error) {
    plan.close();
    throw error;
  }
  return plan;
}

/** Every file into a heap block of its own, then handed to C++ (which keeps views into them). */
async function downloadWholeFiles(files, runtime, plan, signal) {
  const blocks = await downloadWeightFiles(files, runtime, plan, { signal });
  const weights = runtime.plain('wax_weights_new');
  let handed = 0;
  try {
    for (const { ptr, offset, size, label } of blocks) {
      const fileName = runtime.copyString(label, 'a file name');
      handed++; // wax_weights_add_file owns ptr from here on, also when it fails
      try {
        runtime.call('wax_weights_add_file', weights, fileName, ptr, offset, size);
      } finally {
        runtime.free(fileName);
      }
    }
  } catch (error) {
    blocks.slice(handed).forEach((block) => runtime.free(block.ptr));
    runtime.plain('wax_weights_free', weights);
    throw error;
  }
  return weights;
}

/**
 * Each file's tensors handed to C++ in runs as they arrive (tensorRunSink), quantized there or
 * copied into a block each: the heap holds the kept weights and one run, never a whole file. A
 * damaged cache entry is deleted by the download and the stream starts again, once, from the network.
 */
async function streamTensorRuns(files, runtime, config, options, plan, retried = false) {
  const weights = runtime.plain('wax_weights_new');
  const names = [];
  const sinkFor = (opened) => {
    const fileName = runtime.copyString(opened.label, 'a file name');
    names.push(fileName);
    return tensorRunSink(runtime, opened, {
      begin(prefix) {
        const head = runtime.copyIn(prefix, `${opened.label} header`);
        const optionsPtr = runtime.copyString(options.optionsJson, 'load options');
        try {
          runtime.call('wax_weights_begin_file', weights, fileName, head, prefix.length, opened.size, optionsPtr);
        } finally {
          runtime.free(head);
          runtime.free(optionsPtr);
        }
      },
      addRun: (ptr, dataBegin, size) => runtime.call('wax_weights_add_tensors', weights, fileName, dataBegin, ptr, size),
    });
  };
  try {
    await downloadWeightFiles(files, runtime, plan, { signal: options.signal, sinkFor });
    return weights; // wax_model_load checks that every tensor's bytes came
  } catch (error) {
    runtime.plain('wax_weights_free', weights);
    if (error?.code !== 'WAX_BAD_CACHE' || retried || options.signal?.aborted) throw error;
    return streamTensorRuns(files, runtime, config, options, await openAndCheckFit(files, runtime, config, options), true);
  } finally {
    names.forEach((name) => runtime.free(name));
  }
}
