// The automatic-speech-recognition pipeline's own work — options, windows, start ids, streaming,
// abort and the merge — with the real Whisper tokenizer and a stand-in model and processor: the
// "audio" says word k in second k (its samples are (k + 1) / 1000), and the stand-in model writes,
// for the samples of a window, the words it hears whole, in segments that end on multiples of 4 s.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { AutoTokenizer, Tensor, WaxError } from '../../js/src/index.js';
import { AutomaticSpeechRecognitionPipeline, audioWindows } from '../../js/src/pipelines/automatic-speech-recognition.js';

const FOLDER = fileURLToPath(new URL('../fixtures/tokenizers/whisper_multilingual/', import.meta.url));
const RATE = 16000;
const FIRST_WORD = 1000; // word k is token 1000 + k: any text token will do

function speech(seconds) {
  const audio = new Float32Array(Math.round(seconds * RATE));
  for (let i = 0; i < audio.length; i++) audio[i] = (Math.floor(i / RATE) + 1) / 1000;
  return audio;
}

/** A stand-in Whisper: its generation config, the ids it was started from, and its windows' words. */
function standInModel(tokenizer, { generation_config = {}, languageLogits = {} } = {}) {
  const id = (token) => tokenizer.token_to_id(token);
  const model = {
    config: { max_source_positions: 1500, max_target_positions: 448, decoder_start_token_id: id('<|startoftranscript|>') },
    generation_config,
    starts: [],
    maxNewTokens: [],
    async generate({ input_features, encoder_hidden_states, decoder_input_ids, streamer, signal, max_new_tokens }) {
      model.maxNewTokens.push(max_new_tokens);
      const samples = input_features ?? encoder_hidden_states;
      const start = Array.from(decoder_input_ids.data, Number);
      model.starts.push(start);
      const timestamps = !start.includes(id('<|notimestamps|>')) && start.length > 1;
      const at = (seconds) => tokenizer.timestamp_begin + Math.round(seconds / 0.02);
      const first = Math.round(samples[0] * 1000) - 1; // the window starts on word `first`'s second
      const heard = [];
      for (let k = first; (k - first + 1) * RATE <= samples.length; k++) heard.push(k);
      const ids = [...start];
      streamer?.put([start.map(BigInt)]);
      const emit = async (id) => {
        if (signal?.aborted) throw signal.reason;
        ids.push(id);
        streamer?.put([[BigInt(id)]]);
        await new Promise((resolve) => setImmediate(resolve));
      };
      for (const k of heard) {
        if (timestamps && (k === first || k % 4 === 0)) { // a segment starts: its start, after the last one's end
          if (k !== first) await emit(at(k - first));
          await emit(at(k - first));
        }
        await emit(FIRST_WORD + k);
      }
      if (timestamps) await emit(at(heard.length));
      await emit(id('<|endoftext|>'));
      streamer?.end();
      return new Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]);
    },
    async encode({ input_features }) {
      model.encodes.push(input_features.length);
      return { last_hidden_state: input_features };
    },
    encodes: [],
    async _call({ encoder_hidden_states, decoder_input_ids }) {
      assert.ok(encoder_hidden_states, 'language detection reads the encoder output that generate reuses');
      const logits = new Float32Array(51865);
      for (const [token, value] of Object.entries(languageLogits)) logits[id(token)] = value;
      assert.deepEqual(Array.from(decoder_input_ids.data, Number), [id('<|startoftranscript|>')]);
      return { logits: new Tensor('float32', logits, [1, 1, logits.length]) };
    },
    dispose() {},
  };
  return Object.assign((...args) => model._call(...args), model);
}

const processor = Object.assign(async (samples) => ({ input_features: samples }),
  { feature_extractor: { config: { sampling_rate: RATE, chunk_length: 30 } }, dispose() {} });

describe('automatic-speech-recognition with a stand-in model', () => {
  let tokenizer;
  before(async () => { tokenizer = await AutoTokenizer.from_pretrained(FOLDER); });
  after(() => tokenizer.dispose());
  const words = (from, to) => tokenizer.decode(Array.from({ length: to - from }, (_, i) => FIRST_WORD + from + i));
  const asrWith = (model) => new AutomaticSpeechRecognitionPipeline({ task: 'automatic-speech-recognition', model, tokenizer, processor });

  it("cuts audio into transformers' windows", () => {
    assert.deepEqual(audioWindows(100, 0, 0), [{ start: 0, end: 100, stride: [100, 0, 0], is_last: true }]);
    assert.deepEqual(audioWindows(25, 10, 2), [
      { start: 0, end: 10, stride: [10, 0, 2], is_last: false },
      { start: 6, end: 16, stride: [10, 2, 2], is_last: false },
      { start: 12, end: 22, stride: [10, 2, 2], is_last: false },
      { start: 18, end: 25, stride: [7, 2, 0], is_last: true },
    ]);
    assert.deepEqual(audioWindows(23, 10, 2).at(-1), { start: 18, end: 23, stride: [5, 2, 0], is_last: true });
  });

  it('merges 10 s windows over 25 s: every word once, segment times in the whole audio', async () => {
    const model = standInModel(tokenizer);
    const asr = asrWith(model);
    const { text } = await asr(speech(25), { chunk_length_s: 10, stride_length_s: 2 });
    assert.equal(text, words(0, 25));
    assert.equal(model.starts.length, 4);

    const multilingual = standInModel(tokenizer, { generation_config: {
      is_multilingual: true, no_timestamps_token_id: tokenizer.token_to_id('<|notimestamps|>'),
      lang_to_id: { '<|en|>': tokenizer.token_to_id('<|en|>'), '<|fr|>': tokenizer.token_to_id('<|fr|>') },
      task_to_id: { transcribe: tokenizer.token_to_id('<|transcribe|>'), translate: tokenizer.token_to_id('<|translate|>') },
    } });
    const { text: timed, chunks } = await asrWith(multilingual)(speech(25), { chunk_length_s: 10, stride_length_s: 2, return_timestamps: true, language: 'en' });
    assert.equal(timed, words(0, 25));
    assert.deepEqual(chunks, [[0, 4], [4, 8], [8, 12], [12, 16], [16, 20], [20, 24], [24, 25]].map(([from, to]) =>
      ({ text: words(from, to), timestamp: [from, to] })));
  });

  it("lets a window generate up to max_target_positions unless the call or the file (max_new_tokens, max_length: generate applies them) says", async () => {
    const plain = standInModel(tokenizer);
    await asrWith(plain)(speech(2));
    await asrWith(plain)(speech(2), { max_new_tokens: 7 });
    const limited = standInModel(tokenizer, { generation_config: { max_length: 100 } });
    await asrWith(limited)(speech(2));
    const fileSays = standInModel(tokenizer, { generation_config: { max_new_tokens: 30 } });
    await asrWith(fileSays)(speech(2));
    assert.deepEqual([...plain.maxNewTokens, ...limited.maxNewTokens, ...fileSays.maxNewTokens], [447, 7, undefined, undefined]);
  });

  it('transcribes audio longer than 30 s in 30 s windows when chunk_length_s is not given', async () => {
    const model = standInModel(tokenizer);
    const { text } = await asrWith(model)(speech(70));
    assert.equal(text, words(0, 70));
    assert.equal(model.starts.length, 3); // 0–30, 20–50, 40–70
  });

  it('starts from the generation config: the start token alone, or language, task and <|notimestamps|>', async () => {
    const id = (token) => tokenizer.token_to_id(token);
    const plain = standInModel(tokenizer);
    await asrWith(plain)(speech(2));
    assert.deepEqual(plain.starts, [[id('<|startoftranscript|>')]]);

    const generation_config = { is_multilingual: true, no_timestamps_token_id: id('<|notimestamps|>'),
      lang_to_id: { '<|en|>': id('<|en|>'), '<|fr|>': id('<|fr|>'), '<|de|>': id('<|de|>') },
      task_to_id: { transcribe: id('<|transcribe|>'), translate: id('<|translate|>') } };
    const multilingual = standInModel(tokenizer, { generation_config, languageLogits: { '<|de|>': 5, '<|fr|>': 2 } });
    const asr = asrWith(multilingual);
    await asr(speech(2), { language: 'French', task: 'translate' });
    await asr(speech(2), { return_timestamps: true }); // German is detected
    const { chunks } = await asr(speech(2), { return_language: true, language: 'fr' });
    assert.deepEqual(multilingual.starts, [
      [id('<|startoftranscript|>'), id('<|fr|>'), id('<|translate|>'), id('<|notimestamps|>')],
      [id('<|startoftranscript|>'), id('<|de|>'), id('<|transcribe|>')],
      [id('<|startoftranscript|>'), id('<|fr|>'), id('<|transcribe|>'), id('<|notimestamps|>')],
    ]);
    assert.deepEqual(chunks, [{ text: words(0, 2), language: 'french' }]);
    assert.equal(multilingual.encodes.length, 1, 'the encoder ran apart from generate only to detect the language');

    const fineTuned = standInModel(tokenizer, { generation_config: { ...generation_config, language: '<|de|>', task: 'translate' } });
    await asrWith(fineTuned)(speech(2));
    await asrWith(fineTuned)(speech(2), { language: 'french', task: 'transcribe' });
    assert.deepEqual(fineTuned.starts, [
      [id('<|startoftranscript|>'), id('<|de|>'), id('<|translate|>'), id('<|notimestamps|>')],
      [id('<|startoftranscript|>'), id('<|fr|>'), id('<|transcribe|>'), id('<|notimestamps|>')],
    ], "the file's language and task unless the call names its own");
    const badFile = standInModel(tokenizer, { generation_config: { ...generation_config, language: 'elvish' } });
    await assert.rejects(asrWith(badFile)(speech(2)), (e) => e.code === 'WAX_BAD_CONFIG' && /generation_config.json: language: unknown language "elvish"/.test(e.message));

    const englishOnly = standInModel(tokenizer, { generation_config: { is_multilingual: false } });
    await assert.rejects(asrWith(englishOnly)(speech(2), { language: 'fr' }), (e) => e.code === 'WAX_BAD_INPUT' && /English-only/.test(e.message));
  });

  it('streams each window as it is generated, without timestamps, and calls chunk_callback after each', async () => {
    const model = standInModel(tokenizer);
    const pieces = [];
    const windows = [];
    const streamer = { put: (rows) => pieces.push(rows[0].map(Number)), end: () => pieces.push('end') };
    const result = await asrWith(model)(speech(16), { chunk_length_s: 10, stride_length_s: 2, return_timestamps: true, streamer,
      chunk_callback: (chunk) => windows.push(chunk) });
    // As transformers.js's: the windows' tokens and strides (seconds) through _decode_asr are the transcript.
    assert.deepEqual(windows.map((w) => w.stride), [[10, 0, 2], [10, 2, 0]]);
    const [text, { chunks }] = tokenizer._decode_asr(windows, { return_timestamps: true, time_precision: 30 / 1500 });
    assert.deepEqual({ text, chunks }, result);
    assert.equal(pieces.filter((p) => p === 'end').length, 2);
    assert.ok(pieces.flat().every((id) => id === 'end' || id < tokenizer.timestamp_begin), 'no timestamp ids streamed');
    assert.deepEqual(windows.map(({ timestamp, is_last }) => ({ timestamp, is_last })),
      [{ timestamp: [0, 10], is_last: false }, { timestamp: [6, 16], is_last: true }]);
    assert.equal(windows[1].text, words(6, 16));
  });

  it('stops when the signal aborts, between decoder steps, and answers after', async () => {
    const model = standInModel(tokenizer);
    const asr = asrWith(model);
    const controller = new AbortController();
    let steps = 0;
    const streamer = { put: () => { if (++steps === 5) controller.abort(); }, end() {} };
    await assert.rejects(asr(speech(25), { chunk_length_s: 10, signal: controller.signal, streamer }), { name: 'AbortError' });
    assert.equal(model.starts.length, 1, 'no window after the abort');
    assert.equal((await asr(speech(3))).text, words(0, 3));
  });

  it('rejects bad options and audio with WaxErrors that name them', async () => {
    const asr = asrWith(standInModel(tokenizer));
    const badInput = (pattern) => (e) => e instanceof WaxError && e.code === 'WAX_BAD_INPUT' && pattern.test(e.message);
    await assert.rejects(asr(speech(2), { language: 'klingon' }), badInput(/unknown language "klingon".*'french' or 'fr'/));
    await assert.rejects(asr(speech(2), { task: 'summarize' }), badInput(/task must be 'transcribe' or 'translate', got "summarize"/));
    await assert.rejects(asr(speech(2), { chunk_length_s: 40 }), badInput(/chunk_length_s must be at most the model's window of 30 s, got 40/));
    await assert.rejects(asr(speech(40), { chunk_length_s: 10, stride_length_s: 5 }), badInput(/stride_length_s \(5\) must be less than half of chunk_length_s \(10\)/));
    await assert.rejects(asr(speech(2), { chunk_length_s: -1 }), badInput(/chunk_length_s must be a number of seconds ≥ 0/));
    await assert.rejects(asr(speech(2), { return_timestamps: 'segment' }), badInput(/return_timestamps must be true, false or 'word'/));
    await assert.rejects(asr(new Float32Array(0)), badInput(/the audio is empty/));
    const noisy = speech(2);
    noisy[20000] = NaN;
    await assert.rejects(asr(noisy), badInput(/sample 20000 of the audio is NaN/));
    noisy[20000] = Infinity;
    await assert.rejects(asr(noisy), badInput(/sample 20000 of the audio is Infinity/));
    assert.equal((await asr(speech(1))).text, words(0, 1), 'usable after the errors');
  });

  it('gives a list of results for a list of audios', async () => {
    const results = await asrWith(standInModel(tokenizer))([speech(2), speech(3)]);
    assert.deepEqual(results, [{ text: words(0, 2) }, { text: words(0, 3) }]);
  });
});
