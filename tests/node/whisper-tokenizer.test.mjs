// Whisper's tokenizer on the real multilingual vocabulary (tests/fixtures/tokenizers/whisper_multilingual):
// ids with the <|startoftranscript|><|notimestamps|> … <|endoftext|> template, and decoding with and
// without timestamps and with segment offsets against transformers' slow WhisperTokenizer.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { AutoTokenizer, WaxError, WhisperTokenizer } from '../../js/src/index.js';

const FOLDER = fileURLToPath(new URL('../fixtures/tokenizers/whisper_multilingual/', import.meta.url));
const reference = JSON.parse(await readFile(join(FOLDER, 'reference_slow.json'), 'utf8'));
const transformersJs = JSON.parse(await readFile(join(FOLDER, '..', 'CROSSCHECK_TRANSFORMERSJS.json'), 'utf8')).fixtures.whisper_multilingual;
const special = reference.special_ids;

describe('WhisperTokenizer on whisper_multilingual', () => {
  let tokenizer;
  before(async () => { tokenizer = await AutoTokenizer.from_pretrained(FOLDER); });
  after(() => tokenizer.dispose());

  it('is chosen by tokenizer_config.json and finds <|0.00|> in the vocabulary', () => {
    assert.ok(tokenizer instanceof WhisperTokenizer);
    assert.equal(tokenizer.timestamp_begin, special['first_timestamp <|0.00|>']);
    assert.equal(tokenizer.token_to_id('<|30.00|>'), special['last_timestamp <|30.00|>']);
  });

  it('encodes every sentence as the slow tokenizer and transformers.js do, with the start and end tokens', () => {
    for (const row of reference.sentences) {
      const ids = tokenizer.encode(row.text);
      assert.deepEqual(ids, row.ids, row.text);
      assert.deepEqual(ids.slice(0, 2), [special['<|startoftranscript|>'], special['<|notimestamps|>']]);
      assert.equal(ids.at(-1), special['<|endoftext|>']);
      assert.deepEqual(tokenizer.encode(row.text, { add_special_tokens: false }), row.ids_no_special, row.text);
      assert.equal(tokenizer.decode(row.ids, { skip_special_tokens: true }), row.decoded_skip_special, row.text);
    }
    for (const row of transformersJs.rows) {
      assert.deepEqual(tokenizer.encode(row.text), row.js_ids, row.text);
      assert.equal(tokenizer.decode(row.js_ids, { skip_special_tokens: true }), row.js_decoded_skip_special, row.text);
    }
  });

  it('decodes timestamp tokens: dropped, written as <|t|>, or as segment offsets', () => {
    const expected = reference.timestamp_decoding;
    assert.equal(tokenizer.decode(expected.ids), expected.decode);
    assert.equal(tokenizer.decode(expected.ids, { skip_special_tokens: true }), expected.decode_skip_special);
    assert.equal(tokenizer.decode(expected.ids, { decode_with_timestamps: true }), expected.decode_with_timestamps);
    const { text, offsets } = tokenizer.decode(expected.ids, { output_offsets: true });
    assert.equal(text, expected.decode);
    assert.deepEqual(offsets, expected.offsets.map(({ text: t, timestamp }) => ({ text: t, timestamp })));
    // The same through batch_decode and a Tensor-like typed array.
    assert.deepEqual(tokenizer.batch_decode([Int32Array.from(expected.ids)], { decode_with_timestamps: true }), [expected.decode_with_timestamps]);
  });

  it('reads timestamps at another time_precision and across 30 s windows', () => {
    const at = (seconds) => tokenizer.timestamp_begin + Math.round(seconds / 0.02);
    const hello = tokenizer.encode(' Hello', { add_special_tokens: false });
    const world = tokenizer.encode(' world', { add_special_tokens: false });
    assert.equal(tokenizer.decode([at(0), ...hello, at(1)], { decode_with_timestamps: true, time_precision: 0.04 }), '<|0.00|> Hello<|2.00|>');
    // A second window: time goes back after a single ending timestamp, so 30 s are added.
    const ids = [at(0), ...hello, at(28), at(2), ...world, at(4)];
    assert.equal(tokenizer.decode(ids, { decode_with_timestamps: true }), '<|0.00|> Hello<|28.00|><|32.00|> world<|34.00|>');
    assert.deepEqual(tokenizer.decode(ids, { output_offsets: true }).offsets,
      [{ text: ' Hello', timestamp: [0, 28] }, { text: ' world', timestamp: [32, 34] }]);
    assert.deepEqual(tokenizer.decode([...hello, ...world], { output_offsets: true }).offsets, [], 'no timestamps, no offsets');
  });

  it('drops a <|startofprev|> prompt when skipping special tokens', () => {
    const prompt = tokenizer.encode(' Earlier text', { add_special_tokens: false });
    const body = tokenizer.encode(' Hello world', { add_special_tokens: false });
    const ids = [special['<|startofprev|>'], ...prompt, special['<|startoftranscript|>'], special['<|en|>'], ...body, special['<|endoftext|>']];
    assert.equal(tokenizer.decode(ids, { skip_special_tokens: true }), ' Hello world');
    assert.equal(tokenizer.decode(ids), '<|startofprev|> Earlier text<|startoftranscript|><|en|> Hello world<|endoftext|>');
  });

  it('gives the decoder prompt ids of a language and task by name or code', () => {
    const french = [[1, special['<|fr|>']], [2, special['<|transcribe|>']], [3, special['<|notimestamps|>']]];
    assert.deepEqual(tokenizer.get_decoder_prompt_ids({ language: 'french', task: 'transcribe' }), french);
    assert.deepEqual(tokenizer.get_decoder_prompt_ids({ language: 'FR', task: 'transcribe' }), french);
    assert.deepEqual(tokenizer.get_decoder_prompt_ids({ task: 'translate', no_timestamps: false }), [[2, special['<|translate|>']]]);
    assert.throws(() => tokenizer.get_decoder_prompt_ids({ language: 'klingon' }),
      (e) => e instanceof WaxError && e.code === 'WAX_BAD_INPUT' && /klingon/.test(e.message) && /'french' or 'fr'/.test(e.message));
    assert.throws(() => tokenizer.get_decoder_prompt_ids({ task: 'summarize' }), (e) => e.code === 'WAX_BAD_INPUT' && /summarize/.test(e.message));
    assert.throws(() => tokenizer.decode([1], { time_precision: 0 }), (e) => e.code === 'WAX_BAD_INPUT' && /time_precision/.test(e.message));
  });

  it("_decode_asr as transformers.js's: text, segment chunks and languages", () => {
    const ids = reference.timestamp_decoding.ids;
    const [text, { chunks }] = tokenizer._decode_asr([{ tokens: ids.map(BigInt), stride: [3.5, 0, 0] }],
      { return_timestamps: true, return_language: true, time_precision: 0.02 });
    assert.equal(text, reference.timestamp_decoding.decode_skip_special);
    assert.deepEqual(chunks, reference.timestamp_decoding.offsets.map(({ text: t, timestamp }) => ({ text: t, timestamp, language: 'english' })));
    for (const bad of [null, 5, 'ids', [null], [{ stride: [1, 0, 0] }]]) {
      for (const return_timestamps of [true, 'word']) {
        assert.throws(() => tokenizer._decode_asr(bad, { return_timestamps, time_precision: 0.02 }),
          (e) => e instanceof WaxError && e.code === 'WAX_BAD_INPUT' && /sequences must be an array of \{ tokens, stride \} windows/.test(e.message));
      }
    }
  });
});
