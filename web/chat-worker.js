// Module worker for the chat page (index.html, chat.js): holds the text-generation pipeline so that
// loading and generating never block the page. One model in use at a time (a new one loads beside it
// and replaces it only once ready); generations run one at a time.
//
//   page → worker                                     worker → page
//   { type: 'load', id, source }                      { type: 'progress', id, event } …  then
//                                                     { type: 'loaded', id, info } or { type: 'error', id, error, kept_model }
//                                                     (kept_model: the previous model is still loaded and in use)
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
const running = new Map(); // id of a load or generation in flight → { kind, controller, finished }

/** Runs `work(signal)` as the task `id` ('load' or 'generate'), abortable by an 'abort' message or by dispose(). */
function track(id, kind, work) {
  const controller = new AbortController();
  const finished = work(controller.signal).finally(() => running.delete(id));
  running.set(id, { kind, controller, finished });
  return finished;
}

/** Aborts the tasks of `kind` (every task when null) and waits for them to let go of the model. */
async function stopTasks(kind, reason) {
  const tasks = [...running.values()].filter((task) => kind === null || task.kind === kind);
  for (const { controller } of tasks) controller.abort(new DOMException(reason, 'AbortError'));
  await Promise.all(tasks.map((task) => task.finished));
}

/** Stops every load and generation, then frees the model. */
async function dispose() {
  await stopTasks(null, 'the model was disposed');
  generator?.dispose();
  generator = null;
}

/** Loads `source` beside the current model, which stays in use until the new one is ready (and if it fails). */
async function load({ id, source }) {
  await stopTasks('load', 'replaced by a newer load');
  return track(id, 'load', (signal) => loadInto(id, source, signal));
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
    if (generator) {
      await stopTasks('generate', 'the model was replaced');
      generator.dispose();
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
    self.postMessage({ type: 'error', id, error: describeError(error), kept_model: generator !== null });
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
    case 'generate': return track(data.id, 'generate', (signal) => generate(data.id, data.messages, data.options, signal));
    case 'abort': return running.get(data.id)?.controller.abort(new DOMException('stopped by the user', 'AbortError'));
    case 'dispose': return dispose().then(() => self.postMessage({ type: 'disposed' }));
  }
});

self.postMessage({ type: 'ready' });
