// The bundled models/whisper-kjv-tiny through pipeline('automatic-speech-recognition'), on held-out
// espeak-ng speech (tests/fixtures/whisper-kjv-eval/: the book of Ruth, which its training never
// heard): what random weights cannot show. Single verses are transcribed with a low word error
// rate and segment timestamps on the spoken words; a 3-minute recording cut into windows and
// merged loses and doubles no words that transcribing each verse on its own does not.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { pipeline, read_audio } from '../../js/src/index.js';

const EVAL = new URL('../fixtures/whisper-kjv-eval/', import.meta.url);
const RATE = 16000;
// The model's README states its measured word error rates; these bounds leave room for rounding
// differences between PyTorch and wax, not for a model that stops transcribing.
const MAX_SENTENCE_WER = 0.6;
const TIMESTAMP_TOLERANCE_S = 0.5;

const words = (text) => text.toLowerCase().replace(/[^a-z' ]+/g, ' ').split(/\s+/).filter(Boolean);

/**
 * The word alignment of `hypothesis` to `reference` (Levenshtein): the edits, the reference words
 * no hypothesis word stands for (lost), and the inserted hypothesis words that repeat a
 * neighbouring reference word (doubled).
 */
function align(reference, hypothesis) {
  const n = reference.length, m = hypothesis.length;
  const cost = Array.from({ length: n + 1 }, (_, i) => Int32Array.from({ length: m + 1 }, (__, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= n; i++) {
    for (let j = 1; j <= m; j++) {
      cost[i][j] = Math.min(cost[i - 1][j - 1] + (reference[i - 1] === hypothesis[j - 1] ? 0 : 1), cost[i - 1][j] + 1, cost[i][j - 1] + 1);
    }
  }
  let doubled = 0, lost = 0;
  for (let i = n, j = m; i > 0 || j > 0;) {
    if (i > 0 && j > 0 && cost[i][j] === cost[i - 1][j - 1] + (reference[i - 1] === hypothesis[j - 1] ? 0 : 1)) {
      i--; j--;
    } else if (j > 0 && cost[i][j] === cost[i][j - 1] + 1) {
      if ([reference[i - 1], reference[i]].includes(hypothesis[j - 1])) doubled++;
      j--;
    } else {
      lost++;
      i--;
    }
  }
  return { edits: cost[n][m], lost, doubled, errorRate: cost[n][m] / n };
}

describe('models/whisper-kjv-tiny on held-out speech', () => {
  let asr, evaluation;
  const clip = async (file) => read_audio(fileURLToPath(new URL(file.file, EVAL)), RATE);
  before(async () => {
    evaluation = JSON.parse(await readFile(new URL('eval.json', EVAL), 'utf8'));
    asr = await pipeline('automatic-speech-recognition'); // the bundled model, as a user gets it
  });
  after(() => asr?.dispose());

  it('transcribes single verses with a low word error rate, segments on the spoken words', async () => {
    let edits = 0, total = 0;
    for (const file of evaluation.files.filter((f) => f.file.startsWith('sentence-'))) {
      const samples = await clip(file);
      const { text } = await asr(samples);
      const { chunks } = await asr(samples, { return_timestamps: true });
      const reference = words(file.text);
      const { edits: wrong } = align(reference, words(text));
      edits += wrong;
      total += reference.length;
      console.log(`${file.file} (${file.voice}): ${(100 * wrong / reference.length).toFixed(1)}% "${text.trim()}"`);
      // One verse, spoken from utterances[0].start to .end: the segments must span it.
      const [{ start, end }] = file.utterances;
      assert.ok(chunks.length >= 1, `${file.file}: no segment`);
      const first = chunks[0].timestamp[0], last = chunks.at(-1).timestamp[1];
      assert.ok(Math.abs(first - start) <= TIMESTAMP_TOLERANCE_S, `${file.file}: first segment starts at ${first} s, the speech at ${start} s`);
      assert.ok(last !== null && Math.abs(last - end) <= TIMESTAMP_TOLERANCE_S, `${file.file}: last segment ends at ${last} s, the speech at ${end} s`);
    }
    const wer = edits / total;
    console.log(`held-out verses: WER ${(100 * wer).toFixed(1)}% over ${total} words`);
    assert.ok(wer <= MAX_SENTENCE_WER, `WER ${wer} over ${MAX_SENTENCE_WER}`);
  });

  it('merges the windows of a 3-minute recording without losing or doubling words', async () => {
    const recording = evaluation.files.find((f) => f.file === 'ruth-1.wav');
    const samples = await clip(recording);
    const reference = words(recording.utterances.map((u) => u.text).join(' '));
    const windows = [];
    // 10 s windows: the model transcribes a verse or two at a time well but drops verses from full 30 s
    // windows (its README: WER 75.7% there), and what is tested here is the merge, not the model.
    const { text, chunks } = await asr(samples, { chunk_length_s: 10, return_timestamps: true, chunk_callback: (w) => windows.push(w.timestamp) });
    assert.ok(windows.length >= 25, `${windows.length} windows for ${recording.seconds} s`);

    // Each verse alone, cut from the recording at its known times: what the model does without windows.
    let alone = '';
    for (const { start, end } of recording.utterances) {
      const from = Math.max(0, Math.round((start - 0.25) * RATE)), to = Math.min(samples.length, Math.round((end + 0.25) * RATE));
      alone += ` ${(await asr(samples.slice(from, to))).text}`;
    }
    const merged = align(reference, words(text));
    const baseline = align(reference, words(alone));
    console.log(`3-minute recording: WER ${(100 * merged.errorRate).toFixed(1)}% merged from ${windows.length} windows ` +
      `(lost ${merged.lost}, doubled ${merged.doubled}); each verse alone: WER ${(100 * baseline.errorRate).toFixed(1)}% ` +
      `(lost ${baseline.lost}, doubled ${baseline.doubled})`);
    // A merge that kept or dropped the shared seconds would double or lose ~5 words at each of the 28
    // boundaries (~140); the model's own slips, which differ between a window and a verse alone, stay
    // within 2% of the text.
    const slack = Math.ceil(0.02 * reference.length);
    assert.ok(merged.lost <= baseline.lost + slack, `merged lost ${merged.lost} words, the verses alone ${baseline.lost}`);
    assert.ok(merged.doubled <= baseline.doubled + slack, `merged doubled ${merged.doubled} words, the verses alone ${baseline.doubled}`);
    assert.ok(merged.errorRate <= baseline.errorRate + 0.05, `merged WER ${merged.errorRate}, the verses alone ${baseline.errorRate}`);

    let last = 0;
    for (const { timestamp: [start, end] } of chunks) {
      assert.ok(start >= last - TIMESTAMP_TOLERANCE_S && (end === null || end >= start), JSON.stringify({ start, end, last }));
      last = end ?? start;
    }
    assert.ok(last <= recording.seconds + 1, `the last segment ends at ${last} s of ${recording.seconds} s`);
  });
});
