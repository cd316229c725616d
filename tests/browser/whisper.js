// Runs inside Chromium (tests/browser/whisper.html): the oracle whisper_tiny_random through
// AutoModelForSpeechSeq2Seq in the wax worker (where a page runs its models), with the
// .npy references fetched from the test server. Returns a small JSON summary that
// whisper_oracle.test.mjs asserts on.
import { AutoModelForSpeechSeq2Seq, Tensor, env } from '../../js/src/index.js';
import { firstMismatch, withinTolerance } from '../helpers/compare.mjs';
import { readNpy } from '../helpers/npy.mjs';

// ?threads=N runs the page (and the wax worker, which adopts env) on N threads.
const threads = new URLSearchParams(location.search).get('threads');
if (threads) env.wasm.numThreads = Number(threads);

const FOLDER = new URL('../fixtures/whisper_tiny_random/', import.meta.url);

async function npy(file) {
  const response = await fetch(new URL(file, FOLDER));
  if (!response.ok) throw new Error(`${file}: HTTP ${response.status}`);
  return readNpy(await response.arrayBuffer());
}

/** Encoder output, logits and greedy ids against upstream. */
async function check() {
  const [features, ids, encoder, logits, greedy] = await Promise.all(['input_features.npy', 'decoder_input_ids.npy',
    'encoder_last_hidden_state.npy', 'logits.npy', 'greedy_ids.npy'].map(npy));
  const input_features = new Tensor('float32', features.data, features.dims);
  const decoder_input_ids = new Tensor('int64', ids.data, ids.dims);
  const model = await AutoModelForSpeechSeq2Seq.from_pretrained(FOLDER);
  try {
    const { last_hidden_state } = await model.encode({ input_features });
    const forward = await model({ input_features, decoder_input_ids });
    const generated = await model.generate({ input_features, max_new_tokens: greedy.dims[1] - 1, eos_token_id: [] });
    const close = (actual, reference) => ({ dims: actual.dims, ...withinTolerance(actual.data, reference.data) });
    return {
      encoder: close(last_hidden_state, encoder),
      logits: close(forward.logits, logits),
      greedyMismatch: firstMismatch(generated.data, greedy.data),
      greedyDims: generated.dims,
      runtime: model.runtime,
    };
  } finally {
    await model.dispose();
  }
}

window.whisperChecks = { check };
window.whisperReady = true;
