// The first wax demo: load a small Llama checkpoint from a folder URL (the bundled oracle fixture as
// soon as the page opens), generate greedily from the folder's prompt and check the ids against the
// upstream oracle's. The model runs in the wax worker (the library's default on a page) so the page
// stays responsive; where no worker can start, on the main thread instead.
import { showError as showErrorCard, showProgress as showLoadProgress } from '../ui.js';
import { runDemo } from './run-demo.js';

const DEFAULT_MODEL = new URL('../../tests/fixtures/llama_gqa_tied/', location.href).href;

const $ = (id) => document.getElementById(id);
const form = $('run-form');
const modelInput = $('model-url');
const runButton = $('run');
const progressBar = $('progress');
const statusLine = $('status');
const errorBox = $('error');
const results = $('results');

modelInput.value = new URLSearchParams(location.search).get('model') ?? DEFAULT_MODEL;
$('isolation').textContent = globalThis.crossOriginIsolated
  ? 'cross-origin isolated'
  : 'not cross-origin isolated (single-threaded is fine)';

// ---- the page --------------------------------------------------------------------------------

function showProgress(event) {
  if (event.status === 'generate') statusLine.textContent = `Generating ${event.max_new_tokens} tokens…`;
  else showLoadProgress(progressBar, statusLine, event);
}

/** Ids as chips; `compareWith` marks the positions that differ from it. */
function renderIds(element, ids, compareWith) {
  element.replaceChildren(...ids.map((id, i) => {
    const chip = document.createElement('span');
    chip.className = compareWith && compareWith[i] !== id ? 'id diff' : 'id';
    chip.textContent = id;
    return chip;
  }));
}

function showResult(result) {
  const newTokens = result.generated.length;
  const matches = result.mismatch === -1;
  const { model_type, num_hidden_layers, hidden_size, vocab_size, torch_dtype } = result.config;
  $('model-summary').textContent = `${model_type} · ${num_hidden_layers} layers · hidden ${hidden_size} · vocab ${vocab_size} · ${torch_dtype}`;
  $('prompt-count').textContent = `(${result.prompt.length})`;
  $('generated-count').textContent = `(${newTokens})`;
  $('oracle-count').textContent = `(${result.oracle.length})`;
  renderIds($('prompt-ids'), result.prompt);
  renderIds($('generated-ids'), result.generated, result.oracle);
  renderIds($('oracle-ids'), result.oracle);

  const verdict = $('verdict');
  verdict.dataset.state = matches ? 'match' : 'differ';
  verdict.textContent = matches
    ? '✓ matches the oracle'
    : `✗ differs from the oracle at position ${result.mismatch}${result.mismatch < result.prompt.length ? ' (in the prompt)' : ''}`;

  $('load-time').textContent = `${(result.loadMs / 1000).toFixed(2)} s`;
  $('tokens-per-second').textContent = newTokens ? `${(newTokens / (result.generateMs / 1000)).toFixed(0)} tokens/s` : '–';
  $('generate-time').textContent = `${newTokens} tokens · ${result.generateMs.toFixed(0)} ms`;
  $('where').textContent = result.where;
  results.hidden = false;
}

function showError(error) {
  showErrorCard(errorBox, error);
  statusLine.textContent = 'Failed.';
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  let modelUrl;
  try {
    modelUrl = new URL(modelInput.value.trim() || DEFAULT_MODEL, location.href).href;
  } catch {
    showError({ name: 'Error', message: `'${modelInput.value}' is not a URL` });
    return;
  }
  runButton.disabled = true;
  errorBox.hidden = true;
  results.hidden = true;
  delete $('verdict').dataset.state;
  progressBar.value = 0;
  statusLine.textContent = 'Starting…';
  document.body.dataset.state = 'running';
  try {
    showResult(await runDemo(modelUrl, showProgress));
    statusLine.textContent = 'Done.';
    document.body.dataset.state = 'done';
  } catch (error) {
    showError(error);
    document.body.dataset.state = 'error';
  } finally {
    runButton.disabled = false;
  }
});

form.requestSubmit(); // runs on open, like the other demos
