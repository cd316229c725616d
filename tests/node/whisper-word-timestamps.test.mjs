// Word timestamps (issue 13, item 4): the word grouping of transformers' _combine_tokens_into_words
// on hand-made ids of the real multilingual Whisper tokenizer; the merge of overlapping windows'
// token times (decodeAsrWords) on hand-made windows; and, on the random-weight
// tests/fixtures/whisper_tiny_random (the .wasm), generate({ return_token_timestamps }) and the
// pipeline's return_timestamps: 'word' (and its windows through tokenizer._decode_asr, as the
// speech demo shows them as they come) — structure only, random weights say no words.
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { AutoModelForSpeechSeq2Seq, AutoProcessor, AutoTokenizer, WaxError, pipeline } from '../../js/src/index.js';
import { audioWindows } from '../../js/src/pipelines/automatic-speech-recognition.js';
import { combineTokensIntoWords, decodeAsrWords } from '../../js/src/whisper-text.js';
import { testAudio as audio, whisperStyleTokenizer } from '../helpers/whisper-test-tokenizer.mjs';

const TOKENIZER = fileURLToPath(new URL('../fixtures/tokenizers/whisper_multilingual/', import.meta.url));
const MODEL = fileURLToPath(new URL('../fixtures/whisper_tiny_random/', import.meta.url));
const RATE = 16000;

describe('word grouping with the Whisper tokenizer', () => {
  let tokenizer, decode, words;
  before(async () => {
    tokenizer = await AutoTokenizer.from_pretrained(TOKENIZER);
    decode = (ids) => tokenizer.decode(ids);
    words = (text) => combineTokensIntoWords(tokenizer.encode(text, { add_special_tokens: false }), decode);
  });

  it('starts a word at a space, keeps punctuation with its word', () => {
    // Ids: " Hello" "," " world" "!" " It" "'s" ' "' "f" "ine" '"' " (" "ok" ").".
    assert.deepEqual(words(' Hello, world! It\'s "fine" (ok).'), [
      { word: ' Hello,', indices: [0, 1] }, { word: ' world!', indices: [2, 3] }, { word: " It's", indices: [4, 5] },
      { word: ' "fine"', indices: [6, 7, 8, 9] }, { word: ' (ok).', indices: [10, 11, 12] },
    ]);
  });

  it('keeps the byte-level ids of one character together', () => {
    // 🤗 and ꙮ take three ids each, none of which is a character alone.
    const grouped = words(' I 🤗 you ꙮ.');
    assert.deepEqual(grouped.map(({ word }) => word), [' I', ' 🤗', ' you', ' ꙮ.']);
    assert.deepEqual(grouped.map(({ indices }) => indices), [[0], [1, 2, 3], [4], [5, 6, 7, 8]]);
  });

  it('merges overlapping windows: each word once, at its time in the audio', () => {
    // Word k is said in second k of 10 s; windows of 6 s share 1 s with each neighbour.
    const names = [' zero', ' one', ' two', ' three', ' four', ' five', ' six', ' seven', ' eight', ' nine'];
    const ids = names.map((name) => {
      const encoded = tokenizer.encode(name, { add_special_tokens: false });
      assert.equal(encoded.length, 1, name);
      return encoded[0];
    });
    const start = ['<|startoftranscript|>', '<|en|>', '<|transcribe|>', '<|notimestamps|>'].map((t) => tokenizer.token_to_id(t));
    const windows = audioWindows(10 * RATE, 6 * RATE, 1 * RATE).map(({ start: from, end, stride }) => {
      const [first, last] = [from / RATE, end / RATE];
      const heard = ids.slice(first, last);
      return {
        tokens: [...start, ...heard, tokenizer.eos_token_id],
        token_timestamps: [0, 0, 0, 0, ...heard.map((_, k) => k), last - first],
        stride,
      };
    });
    assert.equal(windows.length, 2);
    const { text, chunks } = decodeAsrWords(windows, tokenizer.asrVocabulary(), { sampling_rate: RATE });
    assert.equal(text, names.join(''));
    assert.deepEqual(chunks, names.map((name, k) => ({ text: name, timestamp: [k, k + 1] })));
    assert.throws(() => decodeAsrWords([{ ...windows[0], token_timestamps: [0] }], tokenizer.asrVocabulary()),
      (error) => error instanceof WaxError && error.code === 'WAX_BAD_INPUT' && /token_timestamps/.test(error.message));
  });
});

describe('word timestamps on whisper_tiny_random', () => {
  let folder, model, processor, asr;
  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'wax-words-'));
    for (const file of ['config.json', 'model.safetensors', 'preprocessor_config.json', 'generation_config.json']) {
      await copyFile(join(MODEL, file), join(folder, file));
    }
    const { tokenizer, tokenizerConfig } = whisperStyleTokenizer(JSON.parse(await readFile(join(TOKENIZER, 'tokenizer.json'), 'utf8')));
    await writeFile(join(folder, 'tokenizer.json'), JSON.stringify(tokenizer));
    await writeFile(join(folder, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig));
    model = await AutoModelForSpeechSeq2Seq.from_pretrained(MODEL);
    processor = await AutoProcessor.from_pretrained(folder);
    asr = await pipeline('automatic-speech-recognition', folder);
  });
  after(async () => {
    model?.dispose();
    processor?.dispose();
    await asr?.dispose();
    await rm(folder, { recursive: true, force: true });
  });

  const assertRising = (times, what) => {
    for (let i = 1; i < times.length; i++) assert.ok(times[i] >= times[i - 1], `${what}: ${times[i]} after ${times[i - 1]} at ${i}`);
  };

  it('generate gives a start time per token, rising, inside the audio', async () => {
    const { input_features } = await processor(audio(3));
    const { sequences, token_timestamps } = await model.generate({
      input_features, max_new_tokens: 10, eos_token_id: [], return_token_timestamps: true, num_frames: 300,
    });
    assert.deepEqual(sequences.dims, [1, 11]);
    assert.deepEqual(token_timestamps.dims, [1, 11]);
    const times = Array.from(token_timestamps.data);
    assert.equal(times[0], 0);
    assertRising(times, 'token_timestamps');
    assert.ok(times.at(-1) < 3, `last time ${times.at(-1)} within the 3 s of audio`);
    const plain = await model.generate({ input_features, max_new_tokens: 2 });
    assert.deepEqual(plain.dims, [1, 3], 'ids alone unless asked');
    await assert.rejects(model.generate({ input_features, return_token_timestamps: true, stop_strings: 'x' }),
      (error) => error instanceof WaxError && /return_token_timestamps/.test(error.message));
  });

  for (const [seconds, options] of [[4, {}], [50, { chunk_length_s: 20, stride_length_s: 4 }]]) {
    it(`the pipeline gives a chunk a word over ${seconds} s of audio`, async () => {
      const windows = [];
      const chunk_callback = ({ tokens, stride, token_timestamps }) => windows.push({ tokens, stride, token_timestamps });
      const { text, chunks } = await asr(audio(seconds), { return_timestamps: 'word', max_new_tokens: 12, chunk_callback, ...options });
      // As transformers.js's: the windows' tokens, strides (seconds) and token times through _decode_asr are the result.
      assert.deepEqual(asr.tokenizer._decode_asr(windows, { return_timestamps: 'word' }), [text, { chunks }]);
      assert.throws(() => asr.tokenizer._decode_asr(windows.map(({ tokens, stride }) => ({ tokens, stride })), { return_timestamps: 'word' }),
        (error) => error instanceof WaxError && error.code === 'WAX_BAD_INPUT' && /token_timestamps/.test(error.message));
      assert.ok(chunks.length > 0, 'some words');
      assert.equal(chunks.map((chunk) => chunk.text).join(''), text, 'the words spell the text');
      for (const { text: word, timestamp } of chunks) {
        assert.ok(word.length > 0, 'no empty word');
        assert.equal(timestamp.length, 2);
        assert.ok(timestamp[0] >= 0 && timestamp[0] <= timestamp[1] && timestamp[1] <= seconds, `${JSON.stringify(timestamp)} in ${seconds} s`);
      }
      assertRising(chunks.map(({ timestamp }) => timestamp[0]), 'word starts');
    });
  }
});
