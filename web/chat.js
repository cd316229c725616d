// The chat demo: a text-generation pipeline in a module worker (chat-worker.js), the model's chat
// template applied to the conversation, the answer streamed into a bubble, Stop, sampling
// controls seeded from generation_config.json, and live time-to-first-token and tokens/s.
import { modelSource, showError, showProgress, startModuleWorker } from './ui.js';

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
let worker = null;
let nextId = 0;
let loadId = 0; // the load whose events count; older ones are ignored
let generationConfig = {}; // the loaded model's generation_config.json
let turn = null; // the generation in flight: { id, bubble, text, started }
const handlers = new Map(); // task id → its message handler

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

// ---- the worker ----------------------------------------------------------------------------

/** Posts a task to the worker; `onMessage` receives every message about it. */
function post(message, onMessage) {
  const id = ++nextId;
  handlers.set(id, onMessage);
  worker.postMessage({ ...message, id });
  return id;
}

function route({ data }) {
  const handler = handlers.get(data?.id);
  if (!handler) return;
  if (data.type === 'loaded' || data.type === 'done' || data.type === 'error') handlers.delete(data.id);
  handler(data);
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

function loadModel() {
  let source;
  try {
    source = modelSource(modelInput.value, DEFAULT_MODEL);
  } catch {
    showError(errorBox, { name: 'Error', message: `'${modelInput.value}' is neither a URL nor a Hub repo id (org/name)` });
    return;
  }
  errorBox.hidden = true;
  progressBar.value = 0;
  progressBar.hidden = false;
  statusLine.textContent = 'Loading…';
  setState('loading');
  loadId = post({ type: 'load', source }, (data) => {
    if (data.id !== loadId) return; // replaced by a later load
    if (data.type === 'progress') showProgress(progressBar, statusLine, data.event);
    else if (data.type === 'loaded') {
      progressBar.hidden = true;
      modelSummary.textContent = describeModel(data.info);
      statusLine.textContent = 'Ready.';
      generationConfig = data.info.generation_config;
      fillSamplingDefaults(generationConfig);
      setState('ready');
      promptBox.focus();
    } else if (data.type === 'error') {
      progressBar.hidden = data.kept_model;
      statusLine.textContent = data.kept_model
        ? 'That model could not be loaded: still chatting with the one before.'
        : 'The model could not be loaded.';
      showError(errorBox, data.error);
      setState(data.kept_model ? 'ready' : 'error');
    }
  });
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

  const id = post({ type: 'generate', messages, options }, (data) => {
    if (data.type === 'chunk') {
      const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
      text.appendData(data.text);
      if (atBottom) log.scrollTop = log.scrollHeight;
      showStats(data.stats);
      return;
    }
    bubble.classList.remove('streaming');
    turn = null;
    if (data.type === 'done') {
      showStats(data.stats);
      messages.push({ role: 'assistant', content: data.content });
      if (data.aborted) addTag(bubble, 'stopped', 'stopped');
      statusLine.textContent = data.aborted ? `Stopped after ${data.stats.tokens} tokens.` : `Done: ${data.stats.tokens} tokens.`;
    } else {
      messages.pop(); // the user's message got no answer: leave it out of the conversation
      bubble.classList.add('failed');
      addTag(bubble, 'failed', 'failed');
      showError(errorBox, data.error);
      statusLine.textContent = 'Generation failed.';
    }
    setState('ready');
  });
  turn = { id, bubble };
}

function stop() {
  if (!turn) return;
  worker.postMessage({ type: 'abort', id: turn.id });
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
window.addEventListener('pagehide', () => worker?.postMessage({ type: 'dispose' }));

setState('loading');
statusLine.textContent = 'Starting the model worker…';
worker = await startModuleWorker(new URL('./chat-worker.js', import.meta.url));
if (worker) {
  worker.addEventListener('message', route);
  worker.addEventListener('error', (event) => { // escaped the worker's own handling: it may be unusable
    event.preventDefault();
    showError(errorBox, { name: 'Error', message: `the model worker failed: ${event.message || 'unknown error'}. Reload the page.` });
    setState('error');
  });
  loadModel();
} else {
  statusLine.textContent = 'No model worker.';
  showError(errorBox, { name: 'Error', message: 'This browser could not start a module Web Worker (new Worker(url, { type: "module" })), which the chat runs the model in.' });
  setState('error');
}
