// Incremental detokenization (issue 12, point 5): tokenizer.decode_stream gives text as ids come,
// and stop_strings read it one piece a token — in-process, and with a tokenizer of the page for a
// model in the wax worker — instead of decoding the whole continuation again after every token.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { AutoModelForCausalLM, AutoTokenizer, TextStreamer } from '../../js/src/index.js';
import { getRuntime } from '../../js/src/runtime.js';

const KJV = fileURLToPath(new URL('../../models/kjv-llama-5m', import.meta.url));

/** Runs `run()` counting the runtime's calls by export name. */
async function countingCalls(runtime, run) {
  const counts = {};
  const { call } = runtime;
  runtime.call = function counted(name, ...args) {
    counts[name] = (counts[name] ?? 0) + 1;
    return call.call(this, name, ...args);
  };
  try {
    return { result: await run(), counts };
  } finally {
    runtime.call = call;
  }
}

describe('tokenizer.decode_stream', () => {
  let tokenizer, runtime;
  before(async () => {
    tokenizer = await AutoTokenizer.from_pretrained(KJV);
    runtime = await getRuntime();
  });
  after(() => tokenizer?.dispose());

  it('gives, after every id, the whole characters of the decode of the ids so far, row by row', () => {
    const texts = ['In the beginning God créated the heaven, 你好 🎉 and the earth.', 'And the LORD said: “Let there be light”…'];
    const rows = texts.map((text) => tokenizer.encode(text, { add_special_tokens: false }));
    const length = Math.max(...rows.map((ids) => ids.length));
    const padded = rows.map((ids) => [...ids, ...new Array(length - ids.length).fill(tokenizer.pad_token_id ?? 0)]);
    const heap = runtime.heapUsed();
    const stream = tokenizer.decode_stream(2);
    const given = ['', ''];
    for (let n = 1; n <= length; n++) {
      stream.push(padded.map((ids) => ids[n - 1])).forEach((piece, row) => { given[row] += piece; });
      padded.forEach((ids, row) => {
        const decoded = tokenizer.decode(ids.slice(0, n), { skip_special_tokens: true }).replace(/\uFFFD+$/, '');
        assert.equal(given[row], decoded, `row ${row} after ${n} ids`);
      });
    }
    stream.dispose();
    stream.dispose();
    assert.equal(runtime.heapUsed(), heap);
    assert.equal(given[0], texts[0]);
  });

  it('refuses a push of the wrong width, and any push after dispose', () => {
    const stream = tokenizer.decode_stream(2);
    assert.throws(() => stream.push([1]), { code: 'WAX_BAD_INPUT', message: /one id for each of the 2 rows/ });
    stream.dispose();
    assert.throws(() => stream.push([1, 2]), { code: 'WAX_DISPOSED' });
  });
});

describe('generating with kjv-llama-5m', () => {
  let model, tokenizer, runtime;
  before(async () => {
    model = await AutoModelForCausalLM.from_pretrained(KJV);
    tokenizer = await AutoTokenizer.from_pretrained(KJV);
    runtime = await getRuntime();
  });
  after(() => {
    model?.dispose();
    tokenizer?.dispose();
  });

  describe('stop_strings read the text one piece a token', () => {
    const input_ids = [[1, 404, 442], [1, 418, 262]];
    const options = { input_ids, attention_mask: [[1, 1, 1], [1, 1, 1]], max_new_tokens: 40, do_sample: false, eos_token_id: [] };

    it('one push a token and no decode, stopping each row where decoding the whole text again does', async () => {
      const free = (await model.generate(options)).tolist().map((row) => tokenizer.decode(row.slice(3), { skip_special_tokens: true }));
      const stops = [free[0].slice(20, 23), free[1].slice(30, 32)];
      const wholeText = { decode: (ids, o) => tokenizer.decode(ids, o), encode: () => [] }; // decode() alone: the text again each token
      const expected = await model.generate({ ...options, stop_strings: stops, tokenizer: wholeText });
      const heap = runtime.heapUsed();
      const { result, counts } = await countingCalls(runtime, () => model.generate({ ...options, stop_strings: stops, tokenizer }));
      assert.deepEqual(result.tolist(), expected.tolist());
      const newTokens = result.dims[1] - 3;
      assert.ok(newTokens < 40, 'a stop string ended the generation');
      assert.equal(counts.wax_decode_streams_push, newTokens);
      assert.equal(counts.wax_tokenizer_decode, undefined);
      assert.ok(Math.abs(runtime.heapUsed() - heap) <= 64, 'the streams are freed');
    });

    it('a stop string split across tokens and pieces is found', async () => {
      const [row] = (await model.generate({ ...options, input_ids: [input_ids[0]], attention_mask: undefined })).tolist();
      const free = tokenizer.decode(row.slice(3), { skip_special_tokens: true });
      const stop = free.slice(5, 17); // spans several tokens
      const out = await model.generate({ ...options, input_ids: [input_ids[0]], attention_mask: undefined, stop_strings: stop, tokenizer });
      const text = tokenizer.decode(out.tolist()[0].slice(3), { skip_special_tokens: true });
      assert.ok(tokenizer.encode(stop, { add_special_tokens: false }).length > 2, `${JSON.stringify(stop)} spans several tokens`);
      assert.ok(text.includes(stop), JSON.stringify(text));
      assert.ok(!tokenizer.decode(out.tolist()[0].slice(3, -1), { skip_special_tokens: true }).includes(stop), 'it stopped at the first token that completes it');
    });

    it('a tokenizer of the page lends its decode streams to a model in the wax worker', async () => {
      const remote = await AutoModelForCausalLM.from_pretrained(KJV, { worker: true });
      try {
        const stops = ['heaven', 'earth'];
        const expected = await model.generate({ ...options, stop_strings: stops, tokenizer });
        const { result, counts } = await countingCalls(runtime, () => remote.generate({ ...options, stop_strings: stops, tokenizer }));
        assert.deepEqual(result.tolist(), expected.tolist());
        assert.equal(counts.wax_decode_streams_push, result.dims[1] - 3);
        assert.equal(counts.wax_tokenizer_decode, undefined);
      } finally {
        await remote.dispose();
      }
    });
  });

  describe('TextStreamer over a wax tokenizer', () => {
    const options = { input_ids: [[1, 404, 442]], max_new_tokens: 60, do_sample: false, eos_token_id: [] };

    const streamedWith = async (streamTokenizer, more = {}) => {
      let text = '';
      const streamer = new TextStreamer(streamTokenizer, { skip_prompt: true, callback_function: (piece) => { text += piece; } });
      const out = await model.generate({ ...options, ...more, streamer });
      return { text, out };
    };

    it('streams one push a token, the text a decode-only tokenizer streams', async () => {
      const wholeText = { decode: (ids, o) => tokenizer.decode(ids, o), encode: () => [] };
      const expected = await streamedWith(wholeText);
      const heap = runtime.heapUsed();
      const { result: { text, out }, counts } = await countingCalls(runtime, () => streamedWith(tokenizer));
      assert.equal(text, expected.text);
      assert.equal(text, tokenizer.decode(out.tolist()[0].slice(3), { skip_special_tokens: true }));
      assert.equal(counts.wax_decode_streams_push, 60 + 1); // a token each, then end()'s finish
      assert.equal(counts.wax_tokenizer_decode, undefined);
      assert.ok(Math.abs(runtime.heapUsed() - heap) <= 64, 'end() frees the stream');
    });

    it('a generation that fails frees the streamer\'s stream', async () => {
      const heap = runtime.heapUsed();
      const controller = new AbortController();
      const reason = new Error('enough');
      let pieces = 0;
      const streamer = new TextStreamer(tokenizer, { skip_prompt: true, callback_function: () => { if (++pieces === 5) controller.abort(reason); } });
      await assert.rejects(model.generate({ ...options, streamer, signal: controller.signal }), (e) => e === reason);
      assert.ok(Math.abs(runtime.heapUsed() - heap) <= 64, `heap ${runtime.heapUsed()}, before ${heap}`);
    });
  });
});
