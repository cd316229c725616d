// The chat demo: pipeline('text-generation'), which on a page runs in the wax worker (so loading
// and generating never block the page), the model's chat template applied to the conversation,
// the answer streamed into a bubble by a TextStreamer, Stop, a model switch that keeps the model
// before until the new one is ready (and when it fails), sampling controls seeded from
// generation_config.json, and live time-to-first-token and tokens/s.
import { TextStreamer, runtimeInfo } from '../js/src/index.js';
import { pipelineLoader, showError } from './ui.js';

const DEFAULT_MODEL = new URL('../models/kjv-llama-5m/', location.href).href;

const $ = (id) => document.getElementById(id);
const loadForm = $('load-form');
const modelInput = $('model-url');
const loadButton = $('load');
const progressBar = $('progress');
const statusLine = $('status');
const modelSummary = $('model-summary');
const errorBox = $('error');
const log = $('log');
const compose = $('compose');
const promptBox = $('prompt');
const sendButton = $('send');
const stopButton = $('stop');
const clearButton = $('clear');
const doSample = $('do_sample');
const stat = { ttft: $('ttft'), speed: $('speed'), tokens: $('tokens'), mode: $('mode') };

/** Sampling controls: input id (= generate option) → the value used when generation_config.json has none. */
const NUMBER_OPTIONS = { max_new_tokens: 128, temperature: 1, top_k: 50, top_p: 1, repetition_penalty: 1 };

const messages = []; // the conversation sent to the model: { role, content }
let generator = null; // the loaded pipeline (a proxy of the one in the wax worker)
let generationConfig = {}; // the loaded model's generation_config.json
let turn = null; // the generation in flight, { controller, finished }

modelInput.value = new URLSearchParams(location.search).get('model') ?? DEFAULT_MODEL;
$('isolation').textContent = globalThis.crossOriginIsolated ? 'cross-origin isolated' : 'not cross-origin isolated';

/** 'ready' | 'loading' | 'generating' | 'stopping' | 'error': enables what may be pressed now. */
function setState(state) {
  document.body.dataset.state = state;
  const busy = state === 'generating' || state === 'stopping';
  sendButton.disabled = state !== 'ready';
  stopButton.disabled = state !== 'generating';
  loadButton.disabled = busy;
  clearButton.disabled = busy || messages.length === 0;
}

// ---- loading ---------------------------------------------------------------------------------

function fillSamplingDefaults(generationConfig) {
  doSample.checked = !!generationConfig.do_sample;
  for (const [name, fallback] of Object.entries(NUMBER_OPTIONS)) $(name).value = generationConfig[name] ?? fallback;
  $('seed').value = '';
  syncSamplingInputs();
}

function describeModel({ config, load_ms, chat_template, runtime }) {
  const { model_type, num_hidden_layers, hidden_size, vocab_size, torch_dtype } = config;
  const threads = runtime.threaded ? `${runtime.threads} threads` : `1 thread (${runtime.reason})`;
  return `${model_type} · ${num_hidden_layers} layers · hidden ${hidden_size} · vocab ${vocab_size} · ${torch_dtype ?? 'float32'}` +
    ` · loaded in ${(load_ms / 1000).toFixed(2)} s · ${threads}${chat_template ? '' : ' · no chat template: the model continues your text'}`;
}

/** Aborts the generation in flight, if any, and waits until it has let go of the model. */
async function stopTurn() {
  const current = turn;
  current?.controller.abort(new DOMException('the model was replaced', 'AbortError'));
  await current?.finished;
}

const loadPipeline = pipelineLoader('text-generation', { bar: progressBar, line: statusLine, errorBox });

async function loadModel() {
  const loaded = await loadPipeline(modelInput.value, DEFAULT_MODEL, async () => {
    statusLine.textContent = 'Loading…';
    setState('loading');
  });
  if (loaded === null) return;
  if (loaded.error) {
    const kept = generator !== null;
    progressBar.hidden = kept;
    statusLine.textContent = kept ? 'That model could not be loaded: still chatting with the one before.' : 'The model could not be loaded.';
    setState(kept ? 'ready' : 'error');
    return;
  }
  if (generator) {
    await stopTurn();
    await generator.dispose(); // its worker ends, with all its memory
  }
  generator = loaded.pipe;
  progressBar.hidden = true;
  modelSummary.textContent = describeModel({
    config: generator.model.config,
    load_ms: loaded.load_ms,
    chat_template: generator.tokenizer.chat_template !== null,
    runtime: generator.runtime ?? await runtimeInfo(), // the worker's, or this page's where no worker can start
  });
  statusLine.textContent = 'Ready.';
  generationConfig = generator.model.generation_config;
  fillSamplingDefaults(generationConfig);
  setState('ready');
  promptBox.focus();
}

// ---- chatting --------------------------------------------------------------------------------

function addBubble(role, text = '') {
  const bubble = document.createElement('div');
  bubble.className = `bubble ${role}`;
  bubble.dataset.role = role;
  const body = document.createElement('div');
  body.className = 'text';
  body.textContent = text;
  bubble.append(body);
  log.querySelector('.empty')?.remove();
  log.append(bubble);
  log.scrollTop = log.scrollHeight;
  return bubble;
}

function addTag(bubble, text, className) {
  const tag = document.createElement('span');
  tag.className = `tag ${className}`;
  tag.textContent = text;
  bubble.append(tag);
}

function showStats({ tokens, ttft_ms, tokens_per_s }) {
  stat.ttft.textContent = ttft_ms === null ? '–' : `${ttft_ms.toFixed(0)} ms`;
  stat.speed.textContent = tokens_per_s === null ? '–' : `${tokens_per_s.toFixed(0)} tokens/s`;
  stat.tokens.textContent = String(tokens);
}

/** The generate options from the controls; throws on a value that is not a number. */
function readOptions() {
  const options = { do_sample: doSample.checked };
  for (const name of Object.keys(NUMBER_OPTIONS)) {
    const input = $(name);
    const value = Number(input.value);
    if (input.value.trim() === '' || !Number.isFinite(value)) throw new Error(`${name}: '${input.value}' is not a number`);
    options[name] = value;
  }
  if (!options.do_sample) return options;
  const seedText = $('seed').value.trim();
  options.seed = seedText === '' ? Math.floor(Math.random() * 2 ** 32) : Number(seedText);
  if (!Number.isInteger(options.seed) || options.seed < 0) throw new Error(`seed: '${seedText}' is not a whole number ≥ 0`);
  return options;
}

function send() {
  const content = promptBox.value.trim();
  if (!content || document.body.dataset.state !== 'ready') return;
  let options;
  try {
    options = readOptions();
  } catch (error) {
    showError(errorBox, { name: 'Error', message: `Sampling settings: ${error.message}` });
    return;
  }
  errorBox.hidden = true;
  promptBox.value = '';
  messages.push({ role: 'user', content });
  addBubble('user', content);
  const bubble = addBubble('assistant');
  bubble.classList.add('streaming');
  const text = bubble.querySelector('.text').appendChild(document.createTextNode(''));
  showStats({ tokens: 0, ttft_ms: null, tokens_per_s: null });
  stat.mode.textContent = options.do_sample ? `seed ${options.seed}` : 'greedy';
  setState('generating');
  statusLine.textContent = 'Generating…';

  // TTFT covers templating, tokenizing and the prompt's forward pass; the rate counts the tokens after the first.
  const started = performance.now();
  let tokens = 0, firstAt = 0, lastAt = 0, answer = '';
  const stats = () => ({
    tokens,
    ttft_ms: tokens ? firstAt - started : null,
    tokens_per_s: tokens > 1 ? (tokens - 1) / ((lastAt - firstAt) / 1000) : null,
  });
  const current = { controller: new AbortController(), finished: null };
  const streamer = new TextStreamer(generator.tokenizer, {
    skip_prompt: true,
    token_callback_function: (ids) => {
      tokens += ids.length;
      lastAt = performance.now();
      if (tokens === ids.length) firstAt = lastAt;
    },
    callback_function: (piece) => {
      if (turn !== current) return; // what was still on its way when the answer ended
      answer += piece;
      const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
      text.appendData(piece);
      if (atBottom) log.scrollTop = log.scrollHeight;
      showStats(stats());
    },
  });
  // A model without a chat template (a base model) continues the last message's text instead.
  const input = generator.tokenizer.chat_template !== null ? messages.slice() : content;
  const extra = typeof input === 'string' ? { return_full_text: false } : {};
  const ended = (error) => {
    const aborted = current.controller.signal.aborted;
    turn = null;
    bubble.classList.remove('streaming');
    if (!error || aborted) {
      showStats(stats());
      messages.push({ role: 'assistant', content: answer });
      if (aborted) addTag(bubble, 'stopped', 'stopped');
      statusLine.textContent = aborted ? `Stopped after ${tokens} tokens.` : `Done: ${tokens} tokens.`;
    } else {
      messages.pop(); // the user's message got no answer: leave it out of the conversation
      bubble.classList.add('failed');
      addTag(bubble, 'failed', 'failed');
      showError(errorBox, error);
      statusLine.textContent = 'Generation failed.';
    }
    setState('ready');
  };
  turn = current;
  current.finished = generator(input, { ...options, ...extra, signal: current.controller.signal, streamer })
    .then(() => ended(null), ended);
}

function stop() {
  if (!turn) return;
  turn.controller.abort(new DOMException('stopped by the user', 'AbortError'));
  statusLine.textContent = 'Stopping…';
  setState('stopping');
}

function clearChat() {
  messages.length = 0;
  log.replaceChildren(emptyHint);
  setState(document.body.dataset.state);
}

function syncSamplingInputs() {
  for (const name of ['temperature', 'top_k', 'top_p', 'seed']) $(name).disabled = !doSample.checked;
}

// ---- wiring ----------------------------------------------------------------------------------

const emptyHint = log.querySelector('.empty');

loadForm.addEventListener('submit', (event) => {
  event.preventDefault();
  loadModel();
});
compose.addEventListener('submit', (event) => {
  event.preventDefault();
  send();
});
promptBox.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    send();
  }
});
stopButton.addEventListener('click', stop);
clearButton.addEventListener('click', clearChat);
doSample.addEventListener('change', syncSamplingInputs);
$('defaults').addEventListener('click', () => fillSamplingDefaults(generationConfig));
window.addEventListener('pagehide', () => generator?.dispose());

loadModel();
