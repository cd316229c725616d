// The semantic search demo: pipeline('feature-extraction') runs in the wax worker (the library's
// default on a page), so embedding hundreds of sentences never blocks typing. The bundled model is
// a random-weights test fixture; a real sentence-transformers model is one click away, checked
// with preflight() before anything large downloads.
import { cos_sim, pipeline } from '../../js/src/index.js';
import { checkFits, modelSource, showError, showProgress } from '../ui.js';

const $ = (id) => document.getElementById(id);
const BUNDLED_MODEL = new URL('../../tests/fixtures/bert_tiny_st/', location.href).href;
const REAL_MODEL = 'sentence-transformers/all-MiniLM-L6-v2';

let extractor = null; // the loaded pipeline, with .source
let corpus = []; // { text, vector }

function sampleSentences() {
  const subjects = ['The river', 'A small bird', 'The old library', 'Our train', 'The market', 'A quiet garden', 'The storm',
    'My neighbour', 'The museum', 'A red kite'];
  const verbs = ['opens at dawn', 'sings after the rain', 'smells of paper and dust', 'was late again', 'sells fresh bread',
    'grows tomatoes in July', 'knocked the power out', 'plays the violin', 'shows old maps', 'rides the wind'];
  const places = ['in the valley', 'near the station', 'by the sea', 'in the city centre', 'on Sundays'];
  const lines = [];
  subjects.forEach((subject, s) => verbs.forEach((verb, v) => {
    for (const p of [(s + v) % 5, (s + v + 2) % 5]) lines.push(`${subject} ${verb} ${places[p]}.`); // 200 distinct lines
  }));
  return lines.join('\n');
}

/** Loads the model named in the field unless it is the one loaded; the one before stays in use if this fails. */
async function loadExtractor() {
  const source = modelSource($('model-url').value, BUNDLED_MODEL);
  if (extractor?.source === source) return;
  $('preflight').hidden = true;
  if (source !== BUNDLED_MODEL) {
    $('status').textContent = 'Checking whether the model fits (preflight)…';
    await checkFits(source, $('preflight'));
  }
  $('status').textContent = 'Loading the model…';
  const loaded = await pipeline('feature-extraction', source, {
    progress_callback: (e) => showProgress($('progress'), $('status'), e),
  });
  loaded.source = source;
  await extractor?.dispose();
  extractor = loaded;
  $('random-weights').hidden = source !== BUNDLED_MODEL;
}

async function embedAll(event) {
  event?.preventDefault();
  $('error').hidden = true;
  $('query').disabled = true;
  $('embed').disabled = true;
  const texts = $('sentences').value.split('\n').map((s) => s.trim()).filter(Boolean);
  try {
    await loadExtractor();
    const started = performance.now();
    const embeddings = await extractor(texts, {
      progress_callback: ({ loaded, total, progress }) => {
        $('progress').value = progress;
        $('status').textContent = `Embedding ${loaded} of ${total} sentences…`;
      },
    });
    const rows = embeddings.tolist();
    corpus = texts.map((text, i) => ({ text, vector: rows[i] }));
    const seconds = (performance.now() - started) / 1000;
    $('status').textContent = `Embedded ${texts.length} sentences in ${seconds.toFixed(2)} s (${(texts.length / seconds).toFixed(0)} a second).`;
    $('summary').textContent = `${extractor.source === BUNDLED_MODEL ? 'bundled random-weights model' : extractor.source} · ` +
      `${embeddings.dims[1]} dimensions · pooling ${extractor.defaults.pooling}${extractor.defaults.normalize ? ', normalised' : ''}`;
    $('query').disabled = false;
    $('query').focus();
    rank();
  } catch (error) {
    showError($('error'), error);
    $('status').textContent = extractor ? `Failed: still using ${extractor.source === BUNDLED_MODEL ? 'the bundled model' : extractor.source}.` : 'Failed.';
    $('query').disabled = !extractor || !corpus.length;
  } finally {
    $('embed').disabled = false;
  }
}

let pending = null;
async function rank() {
  const query = $('query').value.trim();
  if (!query || !corpus.length) {
    $('results').replaceChildren();
    return;
  }
  const asked = query;
  const [vector] = (await extractor(query)).tolist();
  if ($('query').value.trim() !== asked) return; // the user typed on meanwhile
  const ranked = corpus.map((entry) => ({ ...entry, score: cos_sim(vector, entry.vector) }))
    .sort((a, b) => b.score - a.score).slice(0, 10);
  $('results').replaceChildren(...ranked.map(({ text, score }) => {
    const item = document.createElement('li');
    const value = document.createElement('span');
    value.className = 'score';
    value.textContent = score.toFixed(3);
    item.append(value, ` ${text}`);
    return item;
  }));
}

$('model-url').value = new URLSearchParams(location.search).get('model') ?? BUNDLED_MODEL;
$('use-real').addEventListener('click', () => {
  $('model-url').value = REAL_MODEL;
  $('load-form').requestSubmit();
});
$('sentences').value = sampleSentences();
$('load-form').addEventListener('submit', embedAll);
$('query').addEventListener('input', () => {
  clearTimeout(pending);
  pending = setTimeout(rank, 150); // debounced: one query embedding per pause in typing
});
$('file').addEventListener('change', async () => {
  const file = $('file').files[0];
  if (file) $('sentences').value = await file.text();
});
embedAll();
