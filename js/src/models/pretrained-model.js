// The base of every model class (transformers.js's PreTrainedModel): the C++ handle, disposal,
// memory(), `await model(inputs)`, Symbol.asyncDispose, which calls cross the wax worker, and
// from_pretrained resolving config.json's model_type to a class. A task interface (causal LM,
// encoder; seq2seq, detector, segmenter next) subclasses it, names its C++ exports and adds its
// calls; models/registry.js registers which model_types each subclass runs.
import { Callable } from '../callable.js';
import { makeAsyncDisposable } from '../disposable.js';
import { WaxError, throwIfAborted } from '../errors.js';
import { Tensor } from '../tensor.js';
import { loadWhereWanted } from '../worker/remote.js';
import { sliceTimer } from '../yield.js';
import { loadCheckpoint } from './checkpoint.js';

/** config.json's model_type → the class that runs it (models/registry.js fills it). */
const MODEL_CLASSES = new Map();

/** Registers the class that runs models of `modelType`. */
export function registerModelClass(modelType, modelClass) {
  MODEL_CLASSES.set(modelType, modelClass);
}

/** The classes registered, each once (the wax worker creates them by name). */
export function registeredModelClasses() {
  return [...new Set(MODEL_CLASSES.values())];
}

/**
 * The class that loads `config` for `kind.from_pretrained`: the one registered for its model_type
 * when it is `kind` or a subclass, else `kind` itself, whose C++ loader then refuses the type and
 * names the ones it builds. PreTrainedModel, which runs nothing itself, refuses it here.
 */
function modelClassFor(config, kind) {
  const registered = MODEL_CLASSES.get(config?.model_type);
  if (registered && (registered === kind || registered.prototype instanceof kind)) return registered;
  if (kind.modelTask) return kind;
  throw new WaxError(`config.json: model_type ${JSON.stringify(config?.model_type)} is not one wax runs ` +
    `(it runs ${[...MODEL_CLASSES.keys()].join(', ')})`, { code: 'WAX_UNSUPPORTED' });
}

export class PreTrainedModel extends Callable {
  /** The C++ task interface the subclass loads its models as (wax_model_load): 'causal_lm', 'encoder'. */
  static modelTask = null;

  /** Whether the subclass's models come with generation_config.json (read and kept by C++: modelInfo). */
  static loadsGenerationConfig = false;

  /** The methods a proxy on the page forwards to the wax worker (worker/remote.js). */
  static workerMethods = ['_call', 'forward', 'memory'];

  /** The data properties a proxy on the page copies from the model in the wax worker. */
  static workerProperties = ['config'];

  constructor(runtime, handle, config) {
    super();
    this.runtime = runtime;
    this.handle = handle;
    /** The parsed config.json. */
    this.config = config;
  }

  /** The task the 'ready' progress event names for a load of this class. */
  static task = null;

  /**
   * Loads a model of this class or of the subclass registered for its config.json's model_type
   * (`CausalLM.from_pretrained(…)`, as transformers.js's `LlamaForCausalLM.from_pretrained`;
   * `PreTrainedModel.from_pretrained(…)` gives whichever class runs the model). Options as
   * AutoModelForCausalLM.from_pretrained's; on a page's main thread the model runs in the wax
   * worker unless `worker: false`.
   * @returns {Promise<PreTrainedModel>}
   */
  static from_pretrained(source, options = {}) {
    return loadWhereWanted(this.name, source, options,
      () => loadCheckpoint(source, { ...options, task: this.task }, (config) => modelClassFor(config, this)));
  }

  /**
   * What C++ reports of the model (src/models/loaded_model.h info): `unused_tensors`,
   * `generation_config` (generation_config.json as C++ read it; {} when none) and the task
   * interface's sizes (vocab_size, hidden_size, max_position_embeddings, weight_bytes, scratch_bytes).
   */
  modelInfo() {
    const { runtime } = this;
    const infoPtr = runtime.call('wax_model_info', this.liveHandle()) >>> 0;
    try {
      return JSON.parse(runtime.readString(infoPtr));
    } finally {
      runtime.free(infoPtr);
    }
  }

  /** The handle, or a WAX_DISPOSED WaxError once the model is disposed (every call starts here). */
  liveHandle() {
    if (!this.handle) throw new WaxError('this model was disposed', { code: 'WAX_DISPOSED' });
    return this.handle;
  }

  /**
   * Starts a C++ job over the model (src/api.h's tasks: forward, embed, generate): `inputs` maps
   * input names to `{ data: Int32Array | Float32Array, dims }` (null ones are left out),
   * `options` are the task's. Resolves to the job's handle; the caller frees it with `freeJob`.
   */
  newJob(task, inputs, options = {}) {
    const handle = this.liveHandle();
    const { runtime } = this;
    const given = Object.entries(inputs).filter(([, input]) => input);
    const blocks = [];
    try {
      for (const [name, { data }] of given) blocks.push(runtime.copyIn(data, name));
      blocks.push(runtime.copyIn(Uint32Array.from(blocks), 'the input addresses'));
      const request = {
        task,
        inputs: given.map(([name, { data, dims }]) => ({ name, dtype: data instanceof Float32Array ? 'float32' : 'int32', dims })),
        options,
      };
      blocks.push(runtime.copyString(JSON.stringify(request), 'a job request'));
      const job = runtime.call('wax_job_new', handle, blocks.at(-1), blocks.at(-2)) >>> 0; // it keeps what it needs of its inputs
      this.#jobs++;
      return job;
    } finally {
      blocks.forEach((ptr) => runtime.free(ptr));
    }
  }

  /**
   * The outputs a job has ready, by name: `{ dtype, dims, data }` with `data` the heap address
   * of its values, owned by the job (a generation's tokens stay at one address for its life).
   */
  jobOutputs(job) {
    const { runtime } = this;
    const listPtr = runtime.call('wax_job_outputs', job) >>> 0;
    try {
      return Object.fromEntries(JSON.parse(runtime.readString(listPtr)).map(({ name, ...output }) => [name, output]));
    } finally {
      runtime.free(listPtr);
    }
  }

  /** What a job holds and settled on (src/models/job.h info): `{ held_bytes, … }`. */
  jobInfo(job) {
    const { runtime } = this;
    const infoPtr = runtime.call('wax_job_info', job) >>> 0;
    try {
      return JSON.parse(runtime.readString(infoPtr));
    } finally {
      runtime.free(infoPtr);
    }
  }

  /**
   * Runs a job (newJob) to its end, one layer a step. Between steps the event loop gets a turn
   * every few milliseconds and `signal` is checked, so an abort rejects with its reason within a
   * layer's work. Resolves to the job's outputs, Tensors by name.
   */
  async runJob(task, inputs, { options = {}, signal } = {}) {
    throwIfAborted(signal);
    const { runtime } = this;
    const job = this.newJob(task, inputs, options);
    try {
      const pause = sliceTimer();
      for (let state = 0; state !== 2;) {
        await pause();
        throwIfAborted(signal);
        this.liveHandle();
        state = runtime.call('wax_job_step', job);
      }
      return Object.fromEntries(Object.entries(this.jobOutputs(job)).map(([name, { dtype, dims, data }]) => {
        const length = dims.reduce((a, b) => a * b, 1);
        const values = dtype === 'int32' ? new Int32Array(runtime.heapU8.buffer, data, length).slice()
          : new Float32Array(runtime.heapU8.buffer, data, length).slice();
        return [name, new Tensor(dtype, values, dims)];
      }));
    } finally {
      this.freeJob(job);
    }
  }

  /** Jobs alive over this model, and the handle a dispose() left to free once they end. */
  #jobs = 0;
  #freeAfterJobs = 0;

  /** Frees a job; the model too when it was disposed while that job ran (a job reads its model). */
  freeJob(job) {
    this.runtime.plain('wax_job_free', job);
    if (--this.#jobs === 0 && this.#freeAfterJobs) {
      this.runtime.plain('wax_model_free', this.#freeAfterJobs);
      this.#freeAfterJobs = 0;
    }
  }

  /** Bytes the subclass holds beside weights and scratch (the KV caches of a causal LM). */
  heldBytes() {
    return {};
  }

  /**
   * What the model holds in the wasm heap, in bytes: its weights (checkpoint bytes still held and
   * converted copies), the KV caches of generations in flight, its reused working buffers, and
   * the whole heap (all models and tokenizers of this module). A field C++ does not report for
   * this kind of model is left out; heap_bytes is always there.
   *
   * @example
   * model.memory(); // { weights_bytes: 21613472, kv_cache_bytes: 0, scratch_bytes: 98304, heap_bytes: 33554432 }
   */
  memory() {
    const { weight_bytes, scratch_bytes } = this.modelInfo();
    return {
      ...(weight_bytes !== undefined && { weights_bytes: weight_bytes }),
      ...this.heldBytes(),
      ...(scratch_bytes !== undefined && { scratch_bytes }),
      heap_bytes: this.runtime.heapBytes(),
    };
  }

  /** `model(inputs, options)`: forward, as transformers.js's models. */
  _call(inputs, options) {
    return this.forward(inputs, options);
  }

  /**
   * Frees everything the model holds in the wasm heap. Safe to call twice. A call in flight (a
   * generation whose streamer disposes the model, say) rejects with WAX_DISPOSED at its next step;
   * the model's memory goes once its last job is freed.
   */
  dispose() {
    if (this.handle && this.#jobs > 0) this.#freeAfterJobs = this.handle;
    else if (this.handle) this.runtime.plain('wax_model_free', this.handle);
    this.handle = 0;
  }
}
makeAsyncDisposable(PreTrainedModel.prototype);
