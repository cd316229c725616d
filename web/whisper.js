// The speech demo: pipeline('automatic-speech-recognition'), which on a page runs in the wax
// worker (loading and transcribing never block the page). Audio comes from a dropped or picked
// file or from the microphone (MediaRecorder), is decoded on the page by read_audio (Web Audio
// lives here), and is transcribed in windows: after each one the windows so far, merged by the
// tokenizer's _decode_asr, are the transcript so far, with the real-time factor. Stop aborts the
// transcription through its AbortSignal. A model from elsewhere is checked with preflight() first.
import { read_audio, runtimeInfo } from '../js/src/index.js';
import { WHISPER_LANGUAGE_NAMES } from '../js/src/whisper-text.js';
import { checkFits, pipelineLoader, showError } from './ui.js';

const BUNDLED_MODEL = new URL('../models/whisper-kjv-tiny/', location.href).href;
const REAL_MODEL = 'openai/whisper-tiny.en';
/** Whisper's window: what its timestamp tokens span (preprocessor_config.json's chunk_length). */
const WINDOW_SECONDS = 30;

const $ = (id) => document.getElementById(id);
const modelInput = $('model-url');
const progressBar = $('progress');
const statusLine = $('status');
const errorBox = $('error');
const segmentList = $('segments');
const recordButton = $('record');
const stopButton = $('stop');
const againButton = $('again');
const player = $('player');
const options = { language: $('language'), task: $('task'), chunk_length_s: $('chunk_length_s'), return_timestamps: $('return_timestamps') };
const emptyHint = segmentList.querySelector('.empty');

let transcriber = null; // the loaded pipeline (a proxy of the one in the wax worker), with .source
let run = null; // the transcription in flight (reading the audio, then transcribing it), { controller }
let recording = null; // { recorder, stream, started, timer }
let audio = null; // the last audio: { samples, name }, for Transcribe again

$('isolation').textContent = globalThis.crossOriginIsolated ? 'cross-origin isolated' : 'not cross-origin isolated';

/** 'loading' | 'ready' | 'recording' | 'transcribing' | 'stopping' | 'error': enables what may be pressed now. */
function setState(state) {
  document.body.dataset.state = state;
  const idle = state === 'ready';
  recordButton.disabled = !(idle || state === 'recording');
  recordButton.textContent = state === 'recording' ? 'Stop recording' : 'Record';
  recordButton.setAttribute('aria-pressed', String(state === 'recording'));
  stopButton.disabled = state !== 'transcribing';
  againButton.disabled = !idle || audio === null;
  $('file').disabled = !idle;
  $('drop').classList.toggle('disabled', !idle);
  $('load').disabled = state === 'transcribing' || state === 'stopping' || state === 'recording';
}

// ---- the model -------------------------------------------------------------------------------

/**
 * Language and task choices where the model is multilingual; segment timestamps where its
 * generation_config.json has timestamp tokens, word timestamps where it names alignment heads.
 */
function fillOptions(generationConfig) {
  const languages = Object.keys(generationConfig.lang_to_id ?? {}).map((token) => token.slice(2, -2));
  const multilingual = (generationConfig.is_multilingual ?? languages.length > 0) && languages.length > 0;
  const fixed = generationConfig.is_multilingual === false ? 'English only' : 'fixed by the model';
  options.language.replaceChildren(new Option(multilingual ? 'detect' : fixed, ''), ...languages.map((code) =>
    new Option(`${WHISPER_LANGUAGE_NAMES.get(code) ?? code} (${code})`, code)));
  options.language.disabled = !multilingual;
  options.task.value = 'transcribe';
  options.task.disabled = !multilingual || generationConfig.task_to_id?.translate === undefined;
  const whyNot = { // a reason for each kind of timestamp this model cannot give
    segments: Number.isInteger(generationConfig.no_timestamps_token_id) ? null : 'this model has no timestamp tokens (no_timestamps_token_id)',
    words: Array.isArray(generationConfig.alignment_heads) ? null : 'this model names no alignment_heads to time words by',
  };
  for (const option of options.return_timestamps.options) {
    option.disabled = Boolean(whyNot[option.value]);
    option.title = whyNot[option.value] ?? '';
  }
  options.return_timestamps.value = whyNot.segments ? 'none' : 'segments';
}

function describeModel(config, loadMs, runtime) {
  const { d_model, encoder_layers, decoder_layers, vocab_size, num_mel_bins } = config;
  const threads = runtime.threaded ? `${runtime.threads} threads` : `1 thread (${runtime.reason})`;
  return `whisper · d_model ${d_model} · ${encoder_layers}+${decoder_layers} layers · vocab ${vocab_size} · ${num_mel_bins} mels` +
    ` · loaded in ${(loadMs / 1000).toFixed(2)} s · ${threads}`;
}

const loadPipeline = pipelineLoader('automatic-speech-recognition', { bar: progressBar, line: statusLine, errorBox });

async function loadModel() {
  const loaded = await loadPipeline(modelInput.value, BUNDLED_MODEL, async (source) => {
    $('preflight').hidden = true;
    setState('loading');
    if (source === BUNDLED_MODEL) {
      statusLine.textContent = 'Loading the bundled model…';
    } else {
      statusLine.textContent = 'Checking whether the model fits (preflight)…';
      await checkFits(source, $('preflight'));
    }
  });
  if (loaded === null) return;
  if (loaded.error) {
    progressBar.hidden = transcriber !== null;
    statusLine.textContent = transcriber ? `That model could not be loaded: still using ${transcriber.source}.` : 'The model could not be loaded.';
    setState(transcriber ? 'ready' : 'error');
    return;
  }
  await transcriber?.dispose();
  transcriber = Object.assign(loaded.pipe, { source: loaded.source });
  progressBar.hidden = true;
  $('bundled-notice').hidden = transcriber.source !== BUNDLED_MODEL;
  $('model-summary').textContent = describeModel(transcriber.model.config, loaded.load_ms, transcriber.runtime ?? await runtimeInfo());
  fillOptions(transcriber.model.generation_config ?? {});
  statusLine.textContent = `Ready: ${transcriber.source === BUNDLED_MODEL ? 'the bundled model' : transcriber.source}.`;
  setState('ready');
}

// ---- transcribing ----------------------------------------------------------------------------

const clock = (seconds) => {
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${(seconds - minutes * 60).toFixed(2).padStart(5, '0')}`;
};

/** The transcript so far: segments (or words) with their times, or (without timestamps) the text from 0 to `upTo` seconds. */
function showSegments({ text, chunks }, upTo) {
  const rows = chunks ?? [{ text, timestamp: [0, upTo] }];
  segmentList.replaceChildren(...rows.map(({ text: words, timestamp: [start, end] }) => {
    const row = document.createElement('li');
    const time = document.createElement('span');
    time.className = 'time';
    time.textContent = `${clock(start ?? 0)} → ${end === null ? '…' : clock(end)}`;
    const body = document.createElement('span');
    body.className = 'text';
    body.textContent = words.trim();
    row.append(time, body);
    return row;
  }));
  if (rows.length === 0) segmentList.replaceChildren(emptyHint);
}

/** The call's options from the controls; throws on a chunk length that is not 1 to 30 s. */
function readOptions() {
  const chunkSeconds = Number(options.chunk_length_s.value);
  if (!(chunkSeconds >= 1 && chunkSeconds <= WINDOW_SECONDS)) {
    throw new Error(`chunk length: '${options.chunk_length_s.value}' is not a number of seconds from 1 to ${WINDOW_SECONDS}`);
  }
  return {
    chunk_length_s: chunkSeconds,
    return_timestamps: { segments: true, words: 'word', none: false }[options.return_timestamps.value],
    ...(options.language.disabled || options.language.value === '' ? {} : { language: options.language.value }),
    ...(options.task.disabled ? {} : { task: options.task.value }),
  };
}

/** A transcription starting: the transcript and its numbers cleared, Stop enabled. */
function startRun() {
  errorBox.hidden = true;
  for (const id of ['audio-seconds', 'done-seconds', 'windows', 'elapsed', 'rtf']) $(id).textContent = '–';
  segmentList.replaceChildren(emptyHint);
  run = { controller: new AbortController() };
  setState('transcribing');
  return run;
}

/** Reads `source` (a File, a recording's Blob) on the page, then transcribes it. */
async function transcribeSource(source, name) {
  if (document.body.dataset.state !== 'ready') return;
  const current = startRun();
  statusLine.textContent = `Reading ${name}…`;
  URL.revokeObjectURL(player.src);
  player.src = URL.createObjectURL(source);
  player.hidden = false;
  try {
    audio = { samples: await read_audio(source, transcriber.sampling_rate, { signal: current.controller.signal }), name };
  } catch (error) {
    run = null;
    audio = null;
    player.hidden = true;
    if (current.controller.signal.aborted) {
      statusLine.textContent = 'Stopped.';
    } else {
      showError(errorBox, error);
      statusLine.textContent = `${name} could not be read as audio.`;
    }
    setState('ready');
    return;
  }
  await transcribe(current);
}

/** Transcribes the last audio with the options shown, window by window. */
async function transcribe(current = startRun()) {
  let callOptions;
  try {
    callOptions = readOptions();
  } catch (error) {
    run = null;
    showError(errorBox, { name: 'Error', message: error.message });
    setState('ready');
    return;
  }
  const { samples, name } = audio;
  const rate = transcriber.sampling_rate;
  const audioSeconds = samples.length / rate;
  const timePrecision = WINDOW_SECONDS / transcriber.model.config.max_source_positions;
  $('audio-line').hidden = false;
  $('audio-name').textContent = `${name} · ${audioSeconds.toFixed(1)} s at ${rate / 1000} kHz`;
  $('audio-seconds').textContent = `${audioSeconds.toFixed(1)} s`;
  statusLine.textContent = `Transcribing ${name}…`;

  const windows = [];
  let doneSeconds = 0;
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const ticker = () => { // the wall clock keeps moving while the worker transcribes
    if (run !== current) return;
    $('elapsed').textContent = `${elapsed().toFixed(1)} s`;
    requestAnimationFrame(ticker);
  };
  let shown = Promise.resolve();
  const chunk_callback = ({ tokens, stride, token_timestamps, timestamp: [, end] }) => {
    windows.push({ tokens, stride, token_timestamps }); // token_timestamps: with word timestamps only
    doneSeconds = end;
    const seconds = elapsed();
    $('done-seconds').textContent = `${end.toFixed(1)} s`;
    $('windows').textContent = String(windows.length);
    $('rtf').textContent = `${(end / seconds).toFixed(1)}×`;
    const sofar = windows.slice();
    shown = shown.then(async () => {
      const [text, optional] = await transcriber.tokenizer._decode_asr(sofar, { return_timestamps: callOptions.return_timestamps, time_precision: timePrecision });
      if (run === current && sofar.length === windows.length) showSegments({ text, ...optional }, end);
    });
  };
  const ended = async (result, error) => {
    await shown.catch(() => {});
    const aborted = current.controller.signal.aborted;
    run = null;
    const seconds = elapsed();
    $('elapsed').textContent = `${seconds.toFixed(1)} s`;
    if (result) {
      showSegments(result, audioSeconds);
      $('done-seconds').textContent = `${audioSeconds.toFixed(1)} s`;
      $('rtf').textContent = `${(audioSeconds / seconds).toFixed(1)}×`;
      statusLine.textContent = `Done: ${audioSeconds.toFixed(1)} s of audio in ${seconds.toFixed(1)} s.`;
    } else if (aborted) {
      statusLine.textContent = `Stopped after ${doneSeconds.toFixed(1)} s of ${audioSeconds.toFixed(1)} s of audio.`;
    } else {
      showError(errorBox, error);
      statusLine.textContent = 'The transcription failed.';
    }
    setState('ready');
  };
  requestAnimationFrame(ticker);
  await transcriber(samples, { ...callOptions, chunk_callback, signal: current.controller.signal })
    .then((result) => ended(result, null), (error) => ended(null, error));
}

function stop() {
  if (!run) return;
  run.controller.abort(new DOMException('stopped by the user', 'AbortError'));
  statusLine.textContent = 'Stopping…';
  setState('stopping');
}

// ---- the microphone --------------------------------------------------------------------------

async function startRecording() {
  errorBox.hidden = true;
  let stream, recorder;
  try {
    if (!navigator.mediaDevices || typeof MediaRecorder !== 'function') throw new Error('this browser cannot record audio here (a page must be served over HTTPS or from localhost)');
    stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1 } });
    recorder = new MediaRecorder(stream);
  } catch (error) {
    stream?.getTracks().forEach((track) => track.stop());
    showError(errorBox, { name: error.name, message: `The microphone could not be opened: ${error.message}` });
    return;
  }
  const parts = [];
  recorder.addEventListener('dataavailable', (event) => parts.push(event.data));
  recorder.addEventListener('stop', () => {
    stream.getTracks().forEach((track) => track.stop());
    clearInterval(recording.timer);
    recording = null;
    setState('ready');
    transcribeSource(new Blob(parts, { type: recorder.mimeType }), 'the recording');
  }, { once: true });
  recorder.start();
  const started = performance.now();
  recording = {
    recorder,
    timer: setInterval(() => { statusLine.textContent = `Recording: ${((performance.now() - started) / 1000).toFixed(1)} s…`; }, 100),
  };
  statusLine.textContent = 'Recording…';
  setState('recording');
}

// ---- wiring ----------------------------------------------------------------------------------

const drop = $('drop');
$('load-form').addEventListener('submit', (event) => {
  event.preventDefault();
  loadModel();
});
$('use-real').addEventListener('click', () => {
  modelInput.value = REAL_MODEL;
  loadModel();
});
$('file').addEventListener('change', () => {
  const [file] = $('file').files;
  $('file').value = ''; // the same file picked again is a change
  if (file) transcribeSource(file, file.name);
});
drop.addEventListener('dragover', (event) => {
  event.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (event) => {
  event.preventDefault();
  drop.classList.remove('over');
  const [file] = event.dataTransfer.files;
  if (file) transcribeSource(file, file.name);
});
recordButton.addEventListener('click', () => (recording ? recording.recorder.stop() : startRecording()));
stopButton.addEventListener('click', stop);
againButton.addEventListener('click', () => { if (audio && document.body.dataset.state === 'ready') transcribe(); });
window.addEventListener('pagehide', () => transcriber?.dispose());

modelInput.value = new URLSearchParams(location.search).get('model') ?? BUNDLED_MODEL;
setState('loading');
loadModel();
