// Options of the public calls, checked in one place before they are used or cross into C++ as
// JSON (where NaN and Infinity become null, read as "not given", and 1e9 becomes an allocation):
// each option's type and range, and errors that name the option and the value. A name a call
// does not know is warned about once: transformers.js users pass options wax does not implement.
import { badInput, describeValue } from './errors.js';
import { MAX_TOKEN_ID } from './tensor.js';

/**
 * The most positions a sequence may have: 2^20. No model fits wasm32's 4 GiB with more (a KV
 * cache of 2^20 positions of even the bundled 5M model, 6 KiB a position, is 6 GiB), so a larger
 * max_length or max_new_tokens is a mistake to report before anything is allocated.
 */
export const MAX_SEQUENCE_TOKENS = 2 ** 20;

/** A check and what it wants, for the error message. */
const rule = (expected, test) => ({ expected, test });
const integer = (min, max) => rule(`an integer in [${min}, ${max}]`, (v) => Number.isSafeInteger(v) && v >= min && v <= max);
const finite = (expected, test) => rule(expected, (v) => typeof v === 'number' && Number.isFinite(v) && test(v));
const oneOf = (...values) => rule(`one of ${values.map(describeValue).join(', ')}`, (v) => values.includes(v));
const boolean = rule('true or false', (v) => typeof v === 'boolean');
const callback = rule('a function', (v) => typeof v === 'function');
const listOf = (item, expected) => rule(expected, (v) => item.test(v) || (Array.isArray(v) && v.flat().every(item.test)));
const tokenId = integer(0, MAX_TOKEN_ID);
const signal = rule('an AbortSignal', (v) => typeof v === 'object' && typeof v.aborted === 'boolean' && typeof v.addEventListener === 'function');
const methods = (names, expected) => rule(expected, (v) => (typeof v === 'object' || typeof v === 'function') && names.every((m) => typeof v[m] === 'function'));

/** model.generate's options beside input_ids, attention_mask and token_type_ids. */
export const GENERATE_OPTIONS = {
  max_new_tokens: integer(0, MAX_SEQUENCE_TOKENS),
  max_length: integer(1, MAX_SEQUENCE_TOKENS),
  do_sample: boolean,
  temperature: finite('a finite number > 0', (v) => v > 0),
  top_k: integer(0, MAX_TOKEN_ID),
  top_p: finite('a number in (0, 1]', (v) => v > 0 && v <= 1),
  min_p: finite('a number in [0, 1]', (v) => v >= 0 && v <= 1),
  repetition_penalty: finite('a finite number > 0', (v) => v > 0),
  seed: integer(0, Number.MAX_SAFE_INTEGER),
  eos_token_id: listOf(tokenId, `a token id (an integer in [0, ${MAX_TOKEN_ID}]) or a list of them`),
  pad_token_id: tokenId,
  suppress_tokens: listOf(tokenId, 'a list of token ids'),
  begin_suppress_tokens: listOf(tokenId, 'a list of token ids'),
  forced_decoder_ids: rule('a list of [index, token id or null] pairs', (v) => Array.isArray(v) && v.every((pair) =>
    Array.isArray(pair) && pair.length === 2 && Number.isSafeInteger(pair[0]) && pair[0] >= 0 && (pair[1] === null || tokenId.test(pair[1])))),
  streamer: methods(['put', 'end'], 'a streamer: an object with put(ids) and end()'),
  signal,
  stopping_criteria: listOf(callback, 'a function (input_ids, scores) => boolean[], a list of them or a StoppingCriteriaList'),
  stop_strings: listOf(rule('a string', (v) => typeof v === 'string'), 'a string or a list of strings'),
  tokenizer: methods(['decode'], 'a tokenizer (an object with decode(ids))'),
};

/** model.forward's options (its second argument). */
export const FORWARD_OPTIONS = { signal };

/** model.embed's options; the feature-extraction pipeline takes them too. */
export const EMBED_OPTIONS = {
  pooling: oneOf('none', 'mean', 'cls'),
  normalize: boolean,
  signal,
};

export const FEATURE_EXTRACTION_OPTIONS = { ...EMBED_OPTIONS, progress_callback: callback };

/** The text-generation pipeline's options: generate's (the pipeline passes its own tokenizer) and its own. */
export const TEXT_GENERATION_OPTIONS = {
  ...Object.fromEntries(Object.entries(GENERATE_OPTIONS).filter(([name]) => name !== 'tokenizer')),
  return_full_text: boolean,
  add_special_tokens: boolean,
};

/** tokenizer(text, options). */
export const TOKENIZER_OPTIONS = {
  text_pair: listOf(rule('a string', (v) => typeof v === 'string'), 'a string or a list of strings'),
  add_special_tokens: boolean,
  padding: oneOf(true, false, 'longest', 'max_length'),
  truncation: boolean,
  max_length: integer(1, MAX_SEQUENCE_TOKENS),
  return_tensor: boolean,
  return_token_type_ids: boolean,
};

const warned = new Set();

/**
 * Throws a WAX_BAD_INPUT WaxError naming the first option of `options` that breaks its rule;
 * null and undefined mean "the default". Warns once per name about names not in `rules`.
 *
 * @example
 * checkOptions('generate', { temperature: NaN }, GENERATE_OPTIONS);
 * // WaxError WAX_BAD_INPUT: generate: temperature must be a finite number > 0, got NaN
 */
export function checkOptions(caller, options, rules) {
  if (options === undefined || options === null) return;
  if (typeof options !== 'object' || Array.isArray(options)) throw badInput(`${caller}: options must be an object, got ${describeValue(options)}`);
  for (const [name, value] of Object.entries(options)) {
    const check = Object.hasOwn(rules, name) ? rules[name] : null;
    if (!check) {
      if (!warned.has(name)) {
        warned.add(name);
        console.warn(`wax: ${caller} ignores the option '${name}' (it knows ${Object.keys(rules).join(', ')})`);
      }
    } else if (value !== undefined && value !== null && !check.test(value)) {
      throw badInput(`${caller}: ${name} must be ${check.expected}, got ${describeValue(value)}`);
    }
  }
}
