// The error codes are one list: WAX_ERROR_CODES in js/src/errors.js, which index.d.ts's
// WaxErrorCode mirrors, holds every code that js/src and the C++ sources throw. And the calls that
// used to throw plain errors (TypeError, RangeError, jinja's) now throw WaxErrors with a code.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

import { AutoTokenizer, TextStreamer, WAX_ERROR_CODES, WaxError, cos_sim } from '../../js/src/index.js';
import { fixtureDir } from './fixtures.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));

async function filesUnder(folder, extensions) {
  const entries = await readdir(join(root, folder), { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && extensions.some((ext) => e.name.endsWith(ext))).map((e) => join(e.parentPath ?? e.path, e.name));
}

/** Every match of `pattern`'s first group in the files. */
async function codesIn(files, pattern) {
  const codes = new Set();
  for (const file of files) for (const match of (await readFile(file, 'utf8')).matchAll(pattern)) codes.add(match[1]);
  return codes;
}

describe('WAX_ERROR_CODES', () => {
  it('is frozen, and gives each code a one-line meaning', () => {
    assert.ok(Object.isFrozen(WAX_ERROR_CODES));
    for (const [code, meaning] of Object.entries(WAX_ERROR_CODES)) {
      assert.match(code, /^WAX_[A-Z_]+$/);
      assert.ok(meaning.length > 20 && !meaning.includes('\n'), `${code}: ${meaning}`);
    }
    assert.ok('WAX_DISPOSED' in WAX_ERROR_CODES);
  });

  it("is what index.d.ts's WaxErrorCode union lists", async () => {
    const declarations = await readFile(join(root, 'js/src/index.d.ts'), 'utf8');
    const union = declarations.match(/export type WaxErrorCode =([^;]+);/)[1];
    assert.deepEqual([...union.matchAll(/'(WAX_[A-Z_]+)'/g)].map((m) => m[1]).sort(), Object.keys(WAX_ERROR_CODES).sort());
  });

  it('holds every code thrown in js/src and in the C++ sources', async () => {
    const js = await codesIn(await filesUnder('js/src', ['.js']), /code: '(WAX_[A-Z_]+)'/g);
    const cpp = await codesIn([...await filesUnder('src', ['.h', '.cpp']), ...await filesUnder('wasm', ['.cpp'])], /"(WAX_[A-Z_]+)"/g);
    assert.ok(js.has('WAX_BAD_INPUT') && cpp.has('WAX_BAD_INPUT'), 'the patterns find the codes');
    for (const code of [...js, ...cpp]) assert.ok(code in WAX_ERROR_CODES, `${code} is thrown but not listed in WAX_ERROR_CODES`);
  });
});

describe('plain errors that are WaxErrors now', () => {
  const isCode = (code, pattern) => (error) => error instanceof WaxError && error.code === code && pattern.test(error.message);

  it('cos_sim of vectors of different lengths', () => {
    assert.throws(() => cos_sim([1, 2], [1]), isCode('WAX_BAD_INPUT', /cos_sim: expected two vectors of the same length, got lengths 2 and 1/));
  });

  it('a TextStreamer given a batch', () => {
    const streamer = new TextStreamer({ decode: () => '' }, { callback_function: () => {} });
    assert.throws(() => streamer.put([[1n], [2n]]), isCode('WAX_BAD_INPUT', /TextStreamer: streams one row, got a batch of 2/));
  });

  it('a tokenizer given an empty batch, a non-string, bad ids or a chat message without content', async () => {
    const tokenizer = await AutoTokenizer.from_pretrained(fixtureDir('llama_gqa_tied'));
    try {
      assert.throws(() => tokenizer([]), isCode('WAX_BAD_INPUT', /tokenizer: the list of texts is empty/));
      assert.throws(() => tokenizer(['a', 42]), isCode('WAX_BAD_INPUT', /tokenizer: text 1 is 42; expected a string/));
      assert.throws(() => tokenizer('a', { text_pair: ['b', 'c'] }), isCode('WAX_BAD_INPUT', /1 texts but 2 text pairs/));
      assert.throws(() => tokenizer.encode(null), isCode('WAX_BAD_INPUT', /expected a string/));
      assert.throws(() => tokenizer.decode([1, -1]), isCode('WAX_BAD_INPUT', /decode: position 1 is -1; expected a token id/));
      assert.throws(() => tokenizer.decode([2 ** 32 + 1]), isCode('WAX_BAD_INPUT', /decode: position 0 is 4294967297/));
      assert.throws(() => tokenizer.decode('abc'), isCode('WAX_BAD_INPUT', /decode: expected a Tensor or an array of token ids, got "abc"/));
      assert.throws(() => tokenizer.batch_decode([1, 2]), isCode('WAX_BAD_INPUT', /batch_decode: expected a 2-D Tensor or an array of id arrays/));
      assert.throws(() => tokenizer.token_to_id(5), isCode('WAX_BAD_INPUT', /token_to_id: expected a string, got 5/));
      await assert.rejects(tokenizer.apply_chat_template([{ role: 'user' }]),
        isCode('WAX_BAD_INPUT', /apply_chat_template: message 0 \(role 'user'\) has no content/));
      await assert.rejects(tokenizer.apply_chat_template('Hello'), isCode('WAX_BAD_INPUT', /expected an array of messages/));
      await assert.rejects(tokenizer.apply_chat_template([{ role: 'user', content: 'Hi' }], { chat_template: "{{ raise_exception('roles must alternate') }}" }),
        isCode('WAX_BAD_INPUT', /the chat template rejected this conversation: .*roles must alternate/));
      await assert.rejects(tokenizer.apply_chat_template([{ role: 'user', content: 'Hi' }], { chat_template: '{% for %}' }),
        isCode('WAX_BAD_TOKENIZER', /the chat template does not parse/));
      assert.equal(tokenizer.decode(tokenizer.encode('Once upon a time'), { skip_special_tokens: true }).trim(), 'Once upon a time');
    } finally {
      tokenizer.dispose();
    }
  });
});
