// The merge of overlapping audio windows (whisper-text.js decodeAsr, transformers' _decode_asr) on
// hand-made token sequences: ids below 100 are the words ' w0', ' w1', …; a word is said in each
// second of audio, so word k lies in [k, k + 1) s and a window starting at s seconds hears words s….
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { decodeAsr, mergeOverlappingSequences, whisperLanguageCode } from '../../js/src/whisper-text.js';

const RATE = 16000;
const PRECISION = 0.02;
const [START, ENGLISH, FRENCH, TRANSCRIBE, NO_TIMESTAMPS, END] = [100, 101, 102, 103, 104, 105];
const GARBLED = 99; // what a model makes of a word cut by the window's edge
const TIMESTAMP_BEGIN = 200;
const vocabulary = {
  decode: (ids) => ids.map((id) => ` w${id}`).join(''),
  specialIds: [START, ENGLISH, FRENCH, TRANSCRIBE, NO_TIMESTAMPS, END],
  timestampBegin: TIMESTAMP_BEGIN,
  languageOf: (id) => ({ [ENGLISH]: 'english', [FRENCH]: 'french' })[id] ?? null,
};
const at = (seconds) => TIMESTAMP_BEGIN + Math.round(seconds / PRECISION);
const words = (from, to) => Array.from({ length: to - from }, (_, i) => from + i);
const text = (from, to) => vocabulary.decode(words(from, to));
/** A window of `length` s at `start` s in audio of `total` s, with `stride` s shared with each neighbour. */
const window = (tokens, start, length, total, stride) => ({
  tokens,
  stride: [length * RATE, start === 0 ? 0 : stride * RATE, start + length >= total ? 0 : stride * RATE],
});
const merge = (windows, options = {}) => decodeAsr(windows, vocabulary, { time_precision: PRECISION, sampling_rate: RATE, ...options });

describe('decodeAsr without timestamps', () => {
  it('merges 10 s windows with 2 s strides over 24 s: every word once, the shorter last window too', () => {
    // Windows at 0, 6, 12 and 18 s; the last is 6 s long.
    const prompt = [START, ENGLISH, TRANSCRIBE, NO_TIMESTAMPS];
    const windows = [0, 6, 12, 18].map((s) => window([...prompt, ...words(s, Math.min(s + 10, 24)), END], s, Math.min(10, 24 - s), 24, 2));
    assert.equal(windows.at(-1).stride[0], 6 * RATE);
    assert.deepEqual(merge(windows), { text: text(0, 24) });
  });

  it('keeps a word cut by a window edge once, from the window that heard it whole', () => {
    // Word 9 runs past the first window's edge at 9.5 s: the first window garbles it, the second hears it.
    const first = window([START, ENGLISH, ...words(0, 9), GARBLED, END], 0, 9.5, 16, 2);
    const second = window([START, ENGLISH, ...words(6, 16), END], 5.5, 10.5, 16, 2);
    const { text: merged } = merge([first, second]);
    assert.equal(merged, text(0, 16));
    assert.equal(merged.split(' w9').length, 2, 'w9 once');
  });

  it('joins windows that share fewer than two tokens whole, as transformers does', () => {
    assert.deepEqual(mergeOverlappingSequences([[1, 2, 3], [3, 4, 5]]), [1, 2, 3, 3, 4, 5]);
    assert.deepEqual(mergeOverlappingSequences([[1, 2, 3, 4], [3, 4, 5]]), [1, 2, 3, 4, 5]);
    assert.deepEqual(mergeOverlappingSequences([[1, 2], [], [5, 6]]), [1, 2, 5, 6]);
  });

  it('splits on a change of language, each chunk with its language', () => {
    const first = window([START, ENGLISH, TRANSCRIBE, NO_TIMESTAMPS, ...words(0, 10), END], 0, 10, 16, 2);
    const second = window([START, FRENCH, TRANSCRIBE, NO_TIMESTAMPS, ...words(6, 16), END], 6, 10, 16, 2);
    const { text: merged, chunks } = merge([first, second], { return_language: true });
    assert.deepEqual(chunks, [{ text: text(0, 10), language: 'english' }, { text: text(6, 16), language: 'french' }]);
    assert.equal(merged, text(0, 10) + text(6, 16));
  });

  it('an empty window (silence) loses nothing', () => {
    const windows = [window([START, ENGLISH, ...words(0, 10), END], 0, 10, 22, 2),
      window([START, ENGLISH, END], 6, 10, 22, 2),
      window([START, ENGLISH, ...words(14, 22), END], 12, 10, 22, 2)];
    assert.equal(merge(windows).text, text(0, 10) + text(14, 22));
  });
});

describe('decodeAsr with timestamps', () => {
  it('gives segments with times offset by each window start; a segment across the boundary is merged once', () => {
    // 16 s in two windows (0–10 s and 6–16 s); segments 0–3, 3–6, 6–12 (across the boundary), 12–16.
    const first = window([START, ENGLISH, TRANSCRIBE, at(0), ...words(0, 3), at(3), at(3), ...words(3, 6), at(6),
      at(6), ...words(6, 10), at(10), END], 0, 10, 16, 2);
    const second = window([START, ENGLISH, TRANSCRIBE, at(0), ...words(6, 12), at(6), at(6), ...words(12, 16), at(10), END], 6, 10, 16, 2);
    const { text: merged, chunks } = merge([first, second], { return_timestamps: true });
    assert.deepEqual(chunks, [
      { text: text(0, 3), timestamp: [0, 3] },
      { text: text(3, 6), timestamp: [3, 6] },
      { text: text(6, 12), timestamp: [6, 12] },
      { text: text(12, 16), timestamp: [12, 16] },
    ]);
    assert.equal(merged, text(0, 16));
  });

  it('a window without timestamps joins the open segment; a timestamp in the right stride does not close one', () => {
    // 22 s in windows at 0, 6 and 12 s; the middle one gave no timestamps; segments 0–4, 4–18, 18–22.
    const windows = [
      window([START, ENGLISH, at(0), ...words(0, 4), at(4), at(4), ...words(4, 10), at(10), END], 0, 10, 22, 2),
      window([START, ENGLISH, ...words(6, 16), END], 6, 10, 22, 2),
      window([START, ENGLISH, at(0), ...words(12, 18), at(6), at(6), ...words(18, 22), at(10), END], 12, 10, 22, 2),
    ];
    const { text: merged, chunks } = merge(windows, { return_timestamps: true, return_language: true });
    assert.deepEqual(chunks, [
      { text: text(0, 4), timestamp: [0, 4], language: 'english' },
      { text: text(4, 18), timestamp: [4, 18], language: 'english' },
      { text: text(18, 22), timestamp: [18, 22], language: 'english' },
    ]);
    assert.equal(merged, text(0, 22));
  });

  it('an unfinished last segment keeps its text, with no end time', () => {
    const { chunks } = merge([{ tokens: [START, at(0), ...words(0, 2), at(1), at(1), ...words(2, 4)] }], { return_timestamps: true });
    assert.deepEqual(chunks, [{ text: text(0, 2), timestamp: [0, 1] }, { text: text(2, 4), timestamp: [1, null] }]);
  });

  it('times of a single window with no stride are the tokens\' own, rounded to 10 ms', () => {
    const { chunks } = merge([{ tokens: [START, at(0.5), ...words(0, 2), at(1.26), END] }], { return_timestamps: true });
    assert.deepEqual(chunks, [{ text: text(0, 2), timestamp: [0.5, 1.26] }]);
  });

  it('names an unknown language and the accepted forms', () => {
    assert.equal(whisperLanguageCode('French'), 'fr');
    assert.equal(whisperLanguageCode('castilian'), 'es');
    assert.equal(whisperLanguageCode('<|de|>'), 'de');
    assert.throws(() => whisperLanguageCode('xx', 'asr: language'), (e) => e.code === 'WAX_BAD_INPUT' && /asr: language: unknown language "xx"/.test(e.message)
      && /'french' or 'fr'/.test(e.message));
  });
});
