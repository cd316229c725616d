// Module worker for the chat page (index.html, chat.js): holds the text-generation pipeline so that
// loading and generating never block the page. One model at a time; generations run one at a time.
//
//   page → worker                                     worker → page
//   { type: 'load', id, source }                      { type: 'progress', id, event } …  then
//                                                     { type: 'loaded', id, info } or { type: 'error', id, error }
//   { type: 'generate', id, messages, options }       { type: 'chunk', id, text, stats } …  then
//                                                     { type: 'done', id, content, aborted, stats } or { type: 'error', … }
//   { type: 'abort', id }                             (the load or generation `id` ends: 'error' or 'done' with aborted: true)
//   { type: 'dispose' }                               { type: 'disposed' }: the model's memory is freed
//
// Errors cross as plain data ({ name, code, message }); the worker posts { type: 'ready' } once its
// imports (wax, @huggingface/jinja on first use) have loaded.
import { TextStreamer, pipeline, runtimeInfo } from '../js/src/index.js';
import { describeError } from './ui.js';

let generator = null; // the loaded TextGenerationPipeline
const running = new Map(); // id of a load or generation in flight → { controller, finished }

/** Runs `work(signal)` as the task `id`, abortable by an 'abort' message or by dispose(). */
function track(id, work) {
  const controller = new AbortController();
  const finished = work(controller.signal).finally(() => running.delete(id));
  running.set(id, { controller, finished });
  return finished;
}

/** Stops every load and generation, waits for them to let go of the model, then frees it. */
async function dispose() {
  const tasks = [...running.values()];
  for (const { controller } of tasks) controller.abort(new DOMException('the model was replaced', 'AbortError'));
  await Promise.all(tasks.map((t) => t.finished));
  generator?.dispose();
  generator = null;
}

async function load({ id, source }) {
  await dispose(); // a new model replaces the old one (and stops what it was doing)
  return track(id, (signal) => loadInto(id, source, signal));
}

async function loadInto(id, source, signal) {
  const started = performance.now();
  try {
    const loaded = await pipeline('text-generation', source, {
      signal,
      progress_callback: (event) => self.postMessage({ type: 'progress', id, event }),
    });
    if (signal.aborted) { // replaced while the last step finished
      loaded.dispose();
      throw signal.reason;
    }
    generator = loaded;
    const { model, tokenizer } = loaded;
    const { model_type, num_hidden_layers, hidden_size, vocab_size, torch_dtype } = model.config;
    self.postMessage({
      type: 'loaded',
      id,
      info: {
        config: { model_type, num_hidden_layers, hidden_size, vocab_size, torch_dtype },
        generation_config: model.generation_config,
        chat_template: tokenizer.chat_template !== null,
        load_ms: performance.now() - started,
        cross_origin_isolated: globalThis.crossOriginIsolated === true,
        runtime: await runtimeInfo(),
      },
    });
  } catch (error) {
    self.postMessage({ type: 'error', id, error: describeError(error) });
  }
}

async function generate(id, messages, options, signal) {
  const started = performance.now();
  let tokens = 0, firstAt = 0, lastAt = 0;
  // TTFT covers templating, tokenizing and the prompt's forward pass; the rate counts the tokens after the first.
  const stats = () => ({
    tokens,
    ttft_ms: tokens ? firstAt - started : null,
    tokens_per_s: tokens > 1 ? (tokens - 1) / ((lastAt - firstAt) / 1000) : null,
  });
  let content = '';
  try {
    if (!generator) throw Object.assign(new Error('no model is loaded yet'), { code: 'WAX_BAD_INPUT' });
    const streamer = new TextStreamer(generator.tokenizer, {
      skip_prompt: true,
      token_callback_function: (ids) => {
        tokens += ids.length;
        lastAt = performance.now();
        if (tokens === ids.length) firstAt = lastAt;
      },
      callback_function: (text) => {
        content += text;
        self.postMessage({ type: 'chunk', id, text, stats: stats() });
      },
    });
    // A model without a chat template (a base model) continues the last message's text instead.
    const input = generator.tokenizer.chat_template !== null ? messages : messages.at(-1).content;
    const extra = typeof input === 'string' ? { return_full_text: false } : {};
    await generator(input, { ...options, ...extra, signal, streamer });
    self.postMessage({ type: 'done', id, content, aborted: false, stats: stats() });
  } catch (error) {
    if (signal.aborted) self.postMessage({ type: 'done', id, content, aborted: true, stats: stats() });
    else self.postMessage({ type: 'error', id, error: describeError(error) });
  }
}

self.addEventListener('message', ({ data }) => {
  switch (data?.type) {
    case 'load': return load(data);
    case 'generate': return track(data.id, (signal) => generate(data.id, data.messages, data.options, signal));
    case 'abort': return running.get(data.id)?.controller.abort(new DOMException('stopped by the user', 'AbortError'));
    case 'dispose': return dispose().then(() => self.postMessage({ type: 'disposed' }));
  }
});

self.postMessage({ type: 'ready' });
