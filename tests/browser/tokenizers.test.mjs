// Tokenizers and text generation in headless Chromium against Node, on the same .wasm through the
// public API (tests/browser/tokenizers.js): every oracle tokenizer in tests/fixtures/tokenizers/
// encodes every sentence and pair to the reference ids (CROSSCHECK_JS.json, as the Node test);
// seeded sampling on models/kjv-llama-5m gives Node's ids; pipeline('text-generation') gives
// Node's text for greedy prompts, plain and chat (the chat template rendered in the page).
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { AutoModelForCausalLM, AutoTokenizer, pipeline } from '../../js/src/index.js';
import { openBrowser } from './browser.mjs';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const TOKENIZERS = 'tests/fixtures/tokenizers';
const KJV = 'models/kjv-llama-5m';
const fastReference = JSON.parse(await readFile(join(REPO, TOKENIZERS, 'CROSSCHECK_JS.json'), 'utf8'));
const fixtures = (await readdir(join(REPO, TOKENIZERS), { withFileTypes: true }))
  .filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();

let browser, page;
before(async () => {
  browser = await openBrowser();
  page = await browser.newPage();
  await page.goto(browser.url('/tests/browser/tokenizers.html'));
  await page.waitForFunction(() => window.checksReady === true, null, { timeout: 15_000 });
});
after(async () => {
  await browser?.close();
});

describe('tokenizer fixtures in Chromium', () => {
  it('every fixture folder has reference rows', () => {
    assert.ok(fixtures.length >= 9, fixtures.join());
    for (const name of fixtures) assert.ok(fastReference[name]?.rows.length > 0, `${name}: no rows in CROSSCHECK_JS.json`);
    assert.ok(fixtures.some((name) => fastReference[name].rows.some((row) => row.text_pair !== undefined)), 'some rows are pairs');
  });

  for (const name of fixtures) {
    it(`${name}: every sentence (and pair) encodes to the reference ids`, async () => {
      const rows = fastReference[name].rows.map(({ text, text_pair }) => ({ text, text_pair }));
      const inPage = await page.evaluate(([path, r]) => window.checks.encodeRows(path, r), [`${TOKENIZERS}/${name}`, rows]);
      assert.equal(inPage.length, rows.length);
      fastReference[name].rows.forEach((row, i) => {
        assert.deepEqual(inPage[i], row.js_ids, `${JSON.stringify(row.text)}${row.text_pair ? ` + ${JSON.stringify(row.text_pair)}` : ''}`);
      });
    });
  }
});

describe('models/kjv-llama-5m in Chromium and in Node', () => {
  it('seeded sampling gives the same ids', async () => {
    const tokenizer = await AutoTokenizer.from_pretrained(join(REPO, KJV));
    const prompt = tokenizer.encode('And the LORD said unto Moses,');
    tokenizer.dispose();
    const options = { max_new_tokens: 40, do_sample: true, temperature: 0.8, top_k: 40, top_p: 0.95, repetition_penalty: 1.1, eos_token_id: [] };
    const seeds = [1, 42, 2 ** 32 - 1];
    const model = await AutoModelForCausalLM.from_pretrained(join(REPO, KJV));
    const inNode = [];
    try {
      for (const seed of seeds) inNode.push((await model.generate({ input_ids: [prompt], ...options, seed })).tolist()[0].map(Number));
    } finally {
      model.dispose();
    }
    assert.notDeepEqual(inNode[0], inNode[1], 'different seeds should sample differently');
    const inPage = await page.evaluate(([path, p, o, s]) => window.checks.sample(path, p, o, s), [KJV, prompt, options, seeds]);
    seeds.forEach((seed, i) => assert.deepEqual(inPage[i], inNode[i], `seed ${seed}`));
  });

  it("pipeline('text-generation') gives the same greedy text, plain and chat", async () => {
    const inputs = ['In the beginning', [{ role: 'user', content: 'The LORD is my shepherd; I shall not want.' }]];
    const options = { max_new_tokens: 40, do_sample: false };
    const generator = await pipeline('text-generation', join(REPO, KJV));
    const inNode = [];
    try {
      for (const input of inputs) inNode.push(await generator(input, options));
    } finally {
      generator.dispose();
    }
    assert.match(inNode[0][0].generated_text, /^In the beginning\b.{40,}/s);
    assert.equal(inNode[1][0].generated_text.at(-1).role, 'assistant');
    const inPage = await page.evaluate(([path, i, o]) => window.checks.generate(path, i, o), [KJV, inputs, options]);
    assert.deepEqual(inPage, inNode);
    assert.deepEqual(page.errors, []);
  });
});
