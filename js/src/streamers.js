// Streaming decoded text while tokens are generated, as transformers.js's TextStreamer does.
import { badInput } from './errors.js';
import { isNode } from './runtime.js';

/** Text that may still change when more tokens arrive: an incomplete UTF-8 or byte-fallback sequence. */
const PENDING_TAIL = /\uFFFD+$/;

/**
 * The streamer calls generation does not wait for: the promise an async put or end returned,
 * or one a streamer's callback returned (track). What one rejects with ends the generation at
 * the next put, or at end(), which waits for them all: an async streamer fails generate as a
 * throwing one does, never as an unhandled rejection, in-process and in the wax worker alike.
 */
export class UnawaitedCalls {
  #pending = new Set();
  #failure = null;

  throwFailure() {
    if (this.#failure) throw this.#failure.error;
  }

  track(value) {
    if (typeof value?.then !== 'function') return;
    const settled = Promise.resolve(value)
      .then(() => {}, (error) => { this.#failure ??= { error }; })
      .finally(() => this.#pending.delete(settled));
    this.#pending.add(settled);
  }

  /** `streamer` as generate calls it: put and end throw an earlier failure; end waits for every call. */
  watch(streamer) {
    return {
      put: (ids) => {
        this.throwFailure();
        this.track(streamer.put(ids));
      },
      end: async () => {
        this.throwFailure();
        this.track(streamer.end());
        await Promise.all(this.#pending);
        this.throwFailure();
      },
      release: () => streamer.release?.(),
    };
  }
}

/**
 * Receives token ids from `generate` (`put` for the prompt, then each new token; `end` at the
 * end) and calls `callback_function` with each new piece of text. Text is released only on
 * whole characters: a multi-byte character split across tokens is held back until complete.
 * Over a wax tokenizer of this side the text comes from its decode_stream, with constant work a
 * token; another tokenizer decodes the ids since the last line break again after each token.
 *
 * @example
 * const streamer = new TextStreamer(tokenizer, { skip_prompt: true, callback_function: (text) => process.stdout.write(text) });
 * await model.generate({ ...inputs, max_new_tokens: 20, streamer });
 */
export class TextStreamer {
  /**
   * @param {{ decode(ids: bigint[], options?: object): string }} tokenizer
   * @param {{ skip_prompt?: boolean, skip_special_tokens?: boolean, callback_function?: (text: string) => void,
   *           token_callback_function?: (ids: bigint[]) => void, decode_kwargs?: object }} [options]
   */
  constructor(tokenizer, { skip_prompt = false, skip_special_tokens = true, callback_function = null,
    token_callback_function = null, decode_kwargs = {} } = {}) {
    this.tokenizer = tokenizer;
    this.skip_prompt = skip_prompt;
    this.decode_kwargs = { skip_special_tokens, ...decode_kwargs };
    this.callback_function = callback_function ?? ((text) => (isNode ? process.stdout.write(text) : console.log(text)));
    this.token_callback_function = token_callback_function;
    this.token_cache = [];
    this.print_len = 0;
    this.next_tokens_are_prompt = true;
  }

  /** The tokenizer's decode stream while a generation streams through it. */
  #stream = null;

  /** @param {bigint[][]} value ids of the first row: the prompt, then one token at a time */
  put(value) {
    if (value.length > 1) throw badInput(`TextStreamer: streams one row, got a batch of ${value.length}; generate one prompt at a time with it`);
    if (this.skip_prompt && this.next_tokens_are_prompt) {
      this.next_tokens_are_prompt = false;
      return;
    }
    this.next_tokens_are_prompt = false;
    const tokens = value[0];
    this.token_callback_function?.(tokens);
    if (typeof this.tokenizer.decode_stream === 'function') {
      this.#stream ??= this.tokenizer.decode_stream(1, { skip_special_tokens: this.decode_kwargs.skip_special_tokens });
      const text = Array.from(tokens, (id) => this.#stream.push([id])[0]).join('');
      if (text) this.on_finalized_text(text, false);
      return;
    }
    this.token_cache.push(...tokens);
    const text = this.tokenizer.decode(this.token_cache, this.decode_kwargs);
    const stable = text.replace(PENDING_TAIL, '');
    if (stable.length > this.print_len) {
      this.on_finalized_text(stable.slice(this.print_len), false);
      this.print_len = stable.length;
    }
    if (stable.endsWith('\n') && stable.length === text.length) { // a line is done: keep the cache short
      this.token_cache = [];
      this.print_len = 0;
    }
  }

  /** Flushes what is left, incomplete characters included. */
  end() {
    const held = this.#stream?.finish()[0];
    this.release();
    if (held) this.on_finalized_text(held, true);
    if (this.token_cache.length) {
      const text = this.tokenizer.decode(this.token_cache, this.decode_kwargs);
      if (text.length > this.print_len) this.on_finalized_text(text.slice(this.print_len), true);
    }
    this.token_cache = [];
    this.print_len = 0;
    this.next_tokens_are_prompt = true;
  }

  /** Frees the decode stream without giving out what it holds (generate calls it when it fails). */
  release() {
    this.#stream?.dispose();
    this.#stream = null;
  }

  on_finalized_text(text) {
    this.callback_function(text);
  }
}
