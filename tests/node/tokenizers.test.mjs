// Every oracle tokenizer through AutoTokenizer on the .wasm: ids equal the fast (Rust
// tokenizers) reference on every sentence and pair, byte-level tokenizers round-trip any
// well-formed text, and malformed tokenizer.json files give WaxErrors naming the field.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';

import { AutoTokenizer, WaxError } from '../../js/src/index.js';

const TOKENIZERS = fileURLToPath(new URL('../fixtures/tokenizers/', import.meta.url));
const FIXTURES = ['bytelevel_gpt2', 'bytelevel_gpt2_legacy_merges', 'bytelevel_gpt2_real_vocab', 'bytelevel_qwen2', 'tiktoken_llama3',
  'spm_llama_legacy', 'spm_llama_nonlegacy', 'wordpiece_bert_uncased', 'whisper_multilingual'];
const BYTE_LEVEL = ['bytelevel_gpt2', 'bytelevel_gpt2_legacy_merges', 'bytelevel_gpt2_real_vocab', 'bytelevel_qwen2', 'tiktoken_llama3'];
// The JS cross-check follows the fast semantics that tokenizer.json describes (see the oracle README).
const fastReference = JSON.parse(await readFile(join(TOKENIZERS, 'CROSSCHECK_JS.json'), 'utf8'));

for (const name of FIXTURES) {
  describe(name, () => {
    it('encodes every sentence (and pair) to the reference ids', async () => {
      const tokenizer = await AutoTokenizer.from_pretrained(join(TOKENIZERS, name));
      try {
        for (const row of fastReference[name].rows) {
          const ids = tokenizer.encode(row.text, row.text_pair === undefined ? {} : { text_pair: row.text_pair });
          assert.deepEqual(ids, row.js_ids, `${JSON.stringify(row.text)}${row.text_pair ? ` + ${JSON.stringify(row.text_pair)}` : ''}`);
        }
      } finally {
        tokenizer.dispose();
      }
    });
  });
}

/** Random strings of emoji, CJK, combining marks, controls, ASCII, and lone surrogates. */
function randomText(random, length) {
  const pools = [[0x20, 0x7e], [0x0, 0x1f], [0x300, 0x36f], [0x4e00, 0x9fff], [0x1f300, 0x1f6ff], [0xac00, 0xd7a3], [0xd800, 0xdfff], [0x400, 0x4ff]];
  let text = '';
  for (let i = 0; i < length; i++) {
    const [lo, hi] = pools[Math.floor(random() * pools.length)];
    text += String.fromCodePoint(lo + Math.floor(random() * (hi - lo + 1)));
  }
  return text;
}

describe('property: random Unicode', () => {
  let state = 12345;
  const random = () => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (const name of [...BYTE_LEVEL, 'spm_llama_legacy', 'wordpiece_bert_uncased']) {
    it(`${name}: encode never throws; byte-level decode(encode(x)) == x (lone surrogates as U+FFFD, NFC for qwen2)`, async () => {
      const tokenizer = await AutoTokenizer.from_pretrained(join(TOKENIZERS, name));
      try {
        for (let i = 0; i < 150; i++) {
          const text = randomText(random, 1 + Math.floor(random() * 40));
          const ids = tokenizer.encode(text, { add_special_tokens: false });
          if (!BYTE_LEVEL.includes(name)) continue;
          let expected = new TextDecoder().decode(new TextEncoder().encode(text)); // what TextEncoder makes of surrogates
          if (name === 'bytelevel_qwen2') expected = expected.normalize('NFC'); // its normalizer
          assert.equal(tokenizer.decode(ids), expected, JSON.stringify(text));
        }
      } finally {
        tokenizer.dispose();
      }
    });
  }
});

describe('the tokenizer() call and chat templates', () => {
  it('pads batches, returns int64 Tensors and decodes them back', async () => {
    const tokenizer = await AutoTokenizer.from_pretrained(join(TOKENIZERS, 'wordpiece_bert_uncased'));
    try {
      const { input_ids, attention_mask, token_type_ids } = tokenizer(['Hello world!', 'A longer sentence here, with more words.'], { padding: true });
      assert.equal(input_ids.type, 'int64');
      assert.equal(input_ids.dims[0], 2);
      assert.deepEqual(attention_mask.dims, input_ids.dims);
      assert.deepEqual(token_type_ids.dims, input_ids.dims);
      const mask = attention_mask.tolist();
      assert.ok(mask[0].includes(0n) && !mask[1].includes(0n), 'the shorter row is padded on the right');
      assert.deepEqual(tokenizer.batch_decode(input_ids, { skip_special_tokens: true }), ['hello world!', 'a longer sentence here, with more words.']);
      const truncated = tokenizer('A longer sentence here, with more words.', { truncation: true, max_length: 5 });
      assert.deepEqual(truncated.input_ids.dims, [1, 5]);
      const pair = tokenizer('How old are you?', { text_pair: 'I am six years old.' });
      assert.ok(pair.token_type_ids.tolist()[0].includes(1n));
    } finally {
      tokenizer.dispose();
    }
  });

  it('renders the chat template with @huggingface/jinja', async () => {
    const tokenizer = await AutoTokenizer.from_pretrained(join(TOKENIZERS, 'bytelevel_qwen2'));
    try {
      const messages = [{ role: 'user', content: 'Hi there' }];
      const text = await tokenizer.apply_chat_template(messages, { tokenize: false, add_generation_prompt: true });
      assert.match(text, /<\|im_start\|>user\nHi there<\|im_end\|>\n<\|im_start\|>assistant\n$/);
      const ids = await tokenizer.apply_chat_template(messages, { add_generation_prompt: true, return_tensor: false });
      assert.deepEqual(ids, tokenizer.encode(text, { add_special_tokens: false }));
    } finally {
      tokenizer.dispose();
    }
  });
});

describe('malformed tokenizer.json', () => {
  let scratch;
  after(() => scratch && rm(scratch, { recursive: true, force: true }));
  const good = async () => JSON.parse(await readFile(join(TOKENIZERS, 'bytelevel_gpt2', 'tokenizer.json'), 'utf8'));

  async function expectError(content, code, ...fragments) {
    scratch ??= await mkdtemp(join(tmpdir(), 'wax-tok-'));
    const folder = await mkdtemp(join(scratch, 't-'));
    if (content !== null) await writeFile(join(folder, 'tokenizer.json'), typeof content === 'string' ? content : JSON.stringify(content));
    const error = await AutoTokenizer.from_pretrained(folder).then((t) => { t.dispose(); return null; }, (e) => e);
    assert.ok(error instanceof WaxError, `expected a WaxError, got ${error}`);
    assert.equal(error.code, code, error.message);
    for (const fragment of fragments) assert.ok(error.message.includes(fragment), `'${error.message}' should mention '${fragment}'`);
  }

  it('missing file', () => expectError(null, 'WAX_NOT_FOUND', 'tokenizer.json'));
  it('not JSON', () => expectError('{"model": ', 'WAX_BAD_TOKENIZER', 'tokenizer.json', 'not valid JSON'));
  it('missing model', async () => { const t = await good(); delete t.model; await expectError(t, 'WAX_BAD_TOKENIZER', "'model'"); });
  it('unknown model type', async () => { const t = await good(); t.model.type = 'Unigramish'; await expectError(t, 'WAX_BAD_TOKENIZER', 'Unigramish'); });
  it('bad merges', async () => { const t = await good(); t.model.merges[3] = 42; await expectError(t, 'WAX_BAD_TOKENIZER', 'merges'); });
});
