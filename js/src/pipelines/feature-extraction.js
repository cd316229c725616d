// pipeline('feature-extraction'): sentences in, embeddings out, pooled and normalised as the
// model's sentence-transformers files say.
import { WaxError, badInput, describeValue, throwIfAborted } from '../errors.js';
import { openSource } from '../loader/source.js';
import { AutoModel } from '../models/registry.js';
import { FEATURE_EXTRACTION_OPTIONS } from '../options.js';
import { Tensor } from '../tensor.js';
import { yieldToEventLoop } from '../yield.js';
import { Pipeline } from './pipeline.js';

/** Sentences per forward pass: bounds memory and keeps abort and progress prompt. */
const BATCH = 32;

/**
 * The sentence-transformers defaults a folder declares: modules.json lists a Pooling module
 * (its config.json names the mode) and maybe a Normalize module. Only a 404 means "no
 * modules.json"; a server or network failure fails the load rather than change the pooling.
 */
async function sentenceTransformersDefaults(source, { signal, revision, local_files_only }) {
  const files = openSource(source, { revision, local_files_only });
  const read = await files.readJson('modules.json', { signal, optional: true });
  if (!read) return { pooling: 'none', normalize: false };
  const modules = read.json;
  if (!Array.isArray(modules)) {
    throw new WaxError(`${files.label}: modules.json must be a list of sentence-transformers modules, got ${describeValue(modules)}`,
      { code: 'WAX_BAD_CONFIG' });
  }
  const pooling = modules.find((m) => String(m?.type).endsWith('.Pooling'));
  let mode = 'none';
  if (pooling) {
    const config = (await files.readJson(`${pooling.path ? `${pooling.path}/` : ''}config.json`, { signal, optional: true }))?.json ?? {};
    mode = config.pooling_mode_cls_token ? 'cls' : 'mean';
  }
  return { pooling: mode, normalize: modules.some((m) => String(m.type).endsWith('.Normalize')) };
}

/**
 * Embeds sentences with an encoder model and its tokenizer.
 *
 * @example
 * const extractor = await pipeline('feature-extraction', 'tests/fixtures/bert_tiny_st');
 * const embeddings = await extractor(['hello world', 'the quick brown fox'], { pooling: 'mean', normalize: true });
 * embeddings.dims; // [2, 64]
 * cos_sim(...embeddings.tolist()); // a number in [-1, 1]
 */
export class FeatureExtractionPipeline extends Pipeline {
  static callOptions = FEATURE_EXTRACTION_OPTIONS;
  static workerProperties = [...Pipeline.workerProperties, 'defaults'];

  constructor({ defaults, ...parts }) {
    super(parts);
    /** Pooling and normalisation from the model's sentence-transformers files. */
    this.defaults = defaults;
  }

  static async loadParts(source, options) {
    const defaults = await sentenceTransformersDefaults(source, options);
    return { defaults, model: await AutoModel.from_pretrained(source, options) };
  }

  /**
   * @param {string | string[]} texts
   * @param {{ pooling?: 'none' | 'mean' | 'cls', normalize?: boolean, signal?: AbortSignal,
   *           progress_callback?: (event: { status: 'progress', loaded: number, total: number, progress: number }) => void }} [options]
   * @returns {Promise<Tensor>} [n, hidden] ([n, seq, hidden] for pooling 'none')
   */
  async _call(texts, options = {}) {
    this.checkCall(options);
    const { pooling = this.defaults.pooling, normalize = this.defaults.normalize, signal, progress_callback } = options;
    const list = Array.isArray(texts) ? texts : [texts];
    if (list.length === 0) throw badInput('feature-extraction: the list of texts is empty; expected a string or at least one');
    const notText = list.findIndex((text) => typeof text !== 'string');
    if (notText >= 0) throw badInput(`feature-extraction: text ${notText} is ${describeValue(list[notText])}; expected a string`);
    if (pooling === 'none' && list.length > BATCH) {
      throw badInput(`feature-extraction: pooling 'none' returns token states; pass at most ${BATCH} texts at a time`);
    }
    const limit = this.model.max_position_embeddings;
    const parts = [];
    for (let start = 0; start < list.length; start += BATCH) {
      throwIfAborted(signal);
      const chunk = list.slice(start, start + BATCH);
      const untruncated = chunk.map((t) => this.tokenizer.encode(t).length);
      if (untruncated.some((n) => n > limit)) {
        console.warn(`wax feature-extraction: ${untruncated.filter((n) => n > limit).length} input(s) longer than ` +
          `max_position_embeddings (${limit} tokens) were truncated`);
      }
      const inputs = this.tokenizer(chunk, { padding: true, truncation: true, max_length: limit });
      parts.push(await this.model.embed(inputs, { pooling, normalize, signal }));
      const loaded = Math.min(list.length, start + BATCH);
      progress_callback?.({ status: 'progress', loaded, total: list.length, progress: (100 * loaded) / list.length });
      await yieldToEventLoop();
    }
    if (pooling === 'none') return parts[0];
    const hidden = this.model.hidden_size;
    const data = new Float32Array(list.length * hidden);
    let offset = 0;
    for (const part of parts) {
      data.set(part.data, offset);
      offset += part.data.length;
    }
    return new Tensor('float32', data, [list.length, hidden]);
  }
}

/**
 * Cosine similarity of two vectors.
 *
 * @example
 * cos_sim([1, 0], [1, 1]); // 0.7071…
 */
export function cos_sim(a, b) {
  if (a?.length !== b?.length || typeof a?.length !== 'number') {
    throw badInput(`cos_sim: expected two vectors of the same length, got lengths ${a?.length} and ${b?.length}`);
  }
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / (Math.sqrt(na) * Math.sqrt(nb));
}
