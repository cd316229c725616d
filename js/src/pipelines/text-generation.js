// pipeline('text-generation'): text or chat messages in, text or chat messages out, streamed.
import { badInput } from '../errors.js';
import { AutoModelForCausalLM } from '../models/registry.js';
import { TEXT_GENERATION_OPTIONS } from '../options.js';
import { TextStreamer } from '../streamers.js';
import { Pipeline } from './pipeline.js';

const isMessage = (x) => x !== null && typeof x === 'object' && typeof x.role === 'string';
const isChat = (x) => Array.isArray(x) && x.length > 0 && x.every(isMessage);

/**
 * Generates text with a causal language model and its tokenizer.
 *
 * @example
 * const generator = await pipeline('text-generation', 'models/kjv-llama-5m');
 * const [{ generated_text }] = await generator('In the beginning', { max_new_tokens: 20, do_sample: false });
 * // 'In the beginning God created the heaven and the earth. …'
 * const chat = await generator([{ role: 'user', content: 'Who made the light?' }], { max_new_tokens: 30 });
 * chat[0].generated_text.at(-1); // { role: 'assistant', content: '…' }
 * for await (const piece of generator.stream('And God said', { max_new_tokens: 30 })) process.stdout.write(piece);
 */
export class TextGenerationPipeline extends Pipeline {
  static callOptions = TEXT_GENERATION_OPTIONS;
  static pageMethods = ['stream'];

  static async loadParts(source, options) {
    return { model: await AutoModelForCausalLM.from_pretrained(source, options) };
  }

  /**
   * @param {string | string[] | {role: string, content: string}[] | {role: string, content: string}[][]} texts
   * @param {object} [options] generate's options (max_new_tokens, do_sample, temperature, top_k, top_p, min_p,
   *   repetition_penalty, seed, eos_token_id, stopping_criteria), plus `streamer`, `signal`, `stop_strings` (string
   *   or list: stop once every row has produced one; the text ends with it), `return_full_text` (default true for
   *   text, ignored for chat) and `add_special_tokens`.
   */
  async _call(texts, options = {}) {
    this.checkCall(options);
    const { stop_strings = null, return_full_text = true, add_special_tokens, ...generateOptions } = options ?? {};
    const chatInput = isChat(texts) || (Array.isArray(texts) && texts.length > 0 && texts.every(isChat));
    const batched = chatInput ? texts.every(isChat) && !isChat(texts) : Array.isArray(texts);
    const inputs = batched ? texts : [texts];
    if (inputs.length === 0) throw badInput('text-generation: the list of prompts is empty; expected a string, chat messages or a list of them');

    const prompts = chatInput
      ? await Promise.all(inputs.map((messages) => this.tokenizer.apply_chat_template(messages, { tokenize: false, add_generation_prompt: true })))
      : inputs;
    if (!prompts.every((p) => typeof p === 'string')) throw badInput('text-generation: expected a string, a list of strings or chat messages');
    const tokenizer = this.tokenizer;
    const side = tokenizer.padding_side;
    tokenizer.padding_side = 'left'; // generation continues at the end of every row
    let encoded;
    try {
      encoded = tokenizer(prompts, { padding: true, add_special_tokens: add_special_tokens ?? !chatInput });
    } finally {
      tokenizer.padding_side = side;
    }

    const promptLength = encoded.input_ids.dims[1];
    const output = await this.model.generate({
      ...generateOptions,
      input_ids: encoded.input_ids,
      attention_mask: encoded.attention_mask,
      stop_strings,
      tokenizer,
    });
    const stops = stop_strings === null ? [] : [stop_strings].flat();

    const rows = output.tolist();
    const results = rows.map((row, i) => {
      let continuation = tokenizer.decode(row.slice(promptLength), { skip_special_tokens: true });
      for (const stop of stops) {
        const at = continuation.indexOf(stop);
        if (at >= 0) continuation = continuation.slice(0, at + stop.length);
      }
      if (chatInput) return [{ generated_text: [...inputs[i], { role: 'assistant', content: continuation }] }];
      const prompt = tokenizer.decode(row.slice(0, promptLength), { skip_special_tokens: true });
      return [{ generated_text: return_full_text ? prompt + continuation : continuation }];
    });
    return batched ? results : results[0];
  }

  /**
   * The new text as it is generated, piece by piece. Breaking out of the loop stops generation.
   * @returns {AsyncGenerator<string>}
   */
  async *stream(texts, { signal, ...options } = {}) {
    const controller = new AbortController();
    const combined = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
    const pieces = [];
    let wake = null, finished = false, failure = null;
    const streamer = new TextStreamer(this.tokenizer, {
      skip_prompt: true,
      callback_function: (text) => { pieces.push(text); wake?.(); },
    });
    const run = this._call(texts, { ...options, signal: combined, streamer }).then(
      () => { finished = true; wake?.(); },
      (error) => { failure = error; finished = true; wake?.(); },
    );
    try {
      for (;;) {
        if (pieces.length) yield pieces.shift();
        else if (finished) break;
        else await new Promise((resolve) => { wake = resolve; });
        wake = null;
      }
      if (failure) throw failure;
    } finally {
      if (!finished) controller.abort();
      await run;
    }
  }
}
