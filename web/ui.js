// What the demo pages share: model fields read as sources, the model switch, preflight() before a
// download, errors as a card with a hint, and the loader's progress events on a <progress> bar.
// The models run in the wax worker that the library starts for a page.
import { pipeline, preflight } from '../js/src/index.js';

/** An Error (WaxError or not, or such plain data) as { name, code, message }. */
export function describeError(error) {
  return {
    name: error?.name ?? 'Error',
    code: error?.code ?? null,
    message: error?.message ?? String(error),
  };
}

/**
 * What a model field holds, as from_pretrained takes it: 'org/name' is a Hub repo id, anything
 * else a folder URL (relative ones against this page); empty means `fallback`. Throws on text
 * that is neither.
 */
export function modelSource(text, fallback) {
  const value = text.trim() || fallback;
  if (/^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(value) && !value.startsWith('..')) return value;
  let url;
  try {
    url = new URL(value, location.href);
  } catch {
    throw new Error(`'${text}' is neither a URL nor a Hub repo id (org/name)`);
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.href;
}

/**
 * A page's model switch: `load(text, fallback, prepare)` reads the model field (modelSource), then
 * runs `prepare(source)` (the page's own first steps: its state, a preflight) and
 * pipeline(task, source) with the progress on `bar` and `line`. A newer load aborts the one in
 * flight. Resolves to { pipe, source, load_ms } when this load is the one that lands; to { error }
 * (shown in `errorBox`) when it fails, so that the page keeps the model it had; to null when there
 * is nothing to do: the field held no source (said in `errorBox`) or a later load replaced this one.
 */
export function pipelineLoader(task, { bar, line, errorBox }) {
  let current = null; // the load in flight, { controller }
  return async (text, fallback, prepare = async () => {}) => {
    let source;
    try {
      source = modelSource(text, fallback);
    } catch (error) {
      showError(errorBox, error);
      return null;
    }
    errorBox.hidden = true;
    bar.value = 0;
    bar.hidden = false;
    current?.controller.abort(new DOMException('replaced by a newer load', 'AbortError'));
    const load = { controller: new AbortController() };
    current = load;
    const started = performance.now();
    let pipe;
    try {
      await prepare(source);
      pipe = await pipeline(task, source, {
        signal: load.controller.signal,
        progress_callback: (event) => { if (current === load) showProgress(bar, line, event); },
      });
    } catch (error) {
      if (current !== load) return null;
      current = null;
      showError(errorBox, error);
      return { error };
    }
    if (current !== load) { // replaced while its last step finished
      await pipe.dispose();
      return null;
    }
    current = null;
    return { pipe, source, load_ms: performance.now() - started };
  };
}

/**
 * preflight() of `source` (its config.json and safetensors headers only, no weights), shown in
 * `line`; throws a WAX_TOO_LARGE with the advice when the model does not fit.
 */
export async function checkFits(source, line) {
  const report = await preflight(source);
  line.textContent = `preflight(): ${report.fits ? 'fits' : 'does not fit'}: ${formatBytes(report.weight_bytes)} of weights, ` +
    `${formatBytes(report.peak_bytes)} at the peak, of ${formatBytes(report.limit_bytes)}.`;
  line.dataset.fits = report.fits;
  line.hidden = false;
  if (!report.fits) throw Object.assign(new Error(`${source}: ${report.advice}`), { code: 'WAX_TOO_LARGE' });
  return report;
}

export function formatBytes(bytes) {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(0)} KiB`;
  return `${bytes} B`;
}

/**
 * Shows one of wax's progress events (transformers.js's: initiate, download, progress, done,
 * progress_total, ready) on `bar` and `line`.
 */
export function showProgress(bar, line, event) {
  switch (event.status) {
    case 'initiate':
    case 'download':
      line.textContent = `Downloading ${event.file}…`;
      break;
    case 'progress':
      if (event.total) {
        bar.value = event.progress;
        line.textContent = `Downloading ${event.file}: ${formatBytes(event.loaded)} of ${formatBytes(event.total)}`;
      } else {
        bar.removeAttribute('value'); // unknown length: indeterminate
        line.textContent = `Downloading ${event.file}: ${formatBytes(event.loaded)}`;
      }
      break;
    case 'progress_total':
      if (event.total) bar.value = event.progress;
      break;
    case 'done':
      bar.value = 100;
      line.textContent = 'Building the model…';
      break;
    case 'ready':
      bar.value = 100;
      line.textContent = 'Model ready.';
      break;
  }
}

/** The usual causes, shown under the error itself. */
const HINTS = {
  WAX_NOT_FOUND: 'Check the URL: it must be a folder that holds config.json and model.safetensors (a Hugging Face repo folder looks like https://huggingface.co/org/name/resolve/main/).',
  WAX_FETCH_FAILED: 'The server answered with an error, or the download was cut off: check the address, or try again later.',
  WAX_BAD_SAFETENSORS: 'model.safetensors is damaged or is not a safetensors file.',
  WAX_BAD_CONFIG: 'config.json is not valid or describes something wax cannot build.',
  WAX_BAD_WEIGHTS: 'The weights do not fit the config (names or shapes).',
  WAX_BAD_TOKENIZER: 'tokenizer.json or tokenizer_config.json is damaged or uses something wax does not read yet.',
  WAX_UNSUPPORTED: 'This model or option is not supported by wax yet.',
  WAX_OUT_OF_MEMORY: 'The model does not fit into WebAssembly memory.',
  WAX_TOO_LARGE: 'The model is larger than wasm32 can address (4 GiB).',
};

/** The loader's words for a request that got no answer at all (wax's hub.js). */
const REQUEST_FAILED = /\brequest to (\S+) failed\b/;

/**
 * The hint for WAX_FETCH_FAILED. A browser's fetch says only "Failed to fetch" whether the network
 * is down, the server is, or it refused this origin (CORS): navigator.onLine tells the first apart,
 * and a no-cors probe of the same URL the last (it succeeds, opaquely, whenever the server answers;
 * on a cross-origin isolated page it also fails for servers that send no CORP header, so there
 * the hint names both causes).
 */
async function fetchFailedHint(message) {
  if (navigator.onLine === false) return 'This device has no network connection: connect to a network, then try again.';
  const url = REQUEST_FAILED.exec(message)?.[1];
  if (!url) return HINTS.WAX_FETCH_FAILED;
  const { origin } = new URL(url);
  try {
    await fetch(url, { mode: 'no-cors', method: 'HEAD', cache: 'no-store' });
    return `The server at ${origin} answered, but does not let this page read its files: it must allow this origin (CORS, Access-Control-Allow-Origin).`;
  } catch {
    return globalThis.crossOriginIsolated
      ? `No answer could be read from ${origin}: check the address and the network connection, and that the server allows this origin (CORS).`
      : `The server at ${origin} could not be reached: check the address and the network connection.`;
  }
}

/** Fills the error card `box` with the error's name, code, message and a hint, and shows it. */
export function showError(box, error) {
  const { name, code, message } = describeError(error);
  const title = document.createElement('strong');
  title.textContent = code ? `${name} (${code})` : name;
  const text = document.createElement('p');
  text.textContent = message;
  box.replaceChildren(title, text);
  box.hidden = false;
  if (!HINTS[code]) return;
  const hint = document.createElement('p');
  hint.className = 'hint';
  box.append(hint);
  if (code !== 'WAX_FETCH_FAILED') {
    hint.textContent = HINTS[code];
    return;
  }
  hint.textContent = 'Checking the connection…';
  fetchFailedHint(message).then((text) => { hint.textContent = text; });
}
