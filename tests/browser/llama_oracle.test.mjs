// The five oracle Llama fixtures inside headless Chromium, through the public JS API on the
// .wasm served by tools/serve.mjs (cross-origin isolated): forward logits, greedy ids with the KV
// cache and the left-padded batch, compared in the page (tests/browser/oracle.js) against the
// upstream references; then malformed safetensors served to the same kind of page.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';

import { openBrowser } from './browser.mjs';

const LLAMA_FIXTURES = ['llama_gqa_untied', 'llama_gqa_tied', 'llama3_ropescaled_tied', 'llama_gqa_tied_bf16', 'llama_gqa_long_prompt'];
const GOOD = 'llama_gqa_tied';
const fixtureFile = (fixture, file) => new URL(`../fixtures/${fixture}/${file}`, import.meta.url);

let browser;
before(async () => {
  browser = await openBrowser();
});
after(async () => {
  await browser?.close();
});

async function oraclePage(query = '') {
  const page = await browser.newPage();
  await page.goto(browser.url(`/tests/browser/oracle.html${query}`));
  await page.waitForFunction(() => window.oracleReady === true, null, { timeout: 15_000 });
  return page;
}

function assertFixture(name, summary) {
  const { logits, greedy, batchLogits, batchGreedy } = summary;
  assert.deepEqual(logits.dims, logits.referenceDims, `${name}: logits dims`);
  assert.ok(logits.ok, `${name}: logits max abs diff ${logits.maxAbsDiff} over tolerance ${logits.tolerance}`);
  assert.ok(greedy.equal, `${name}: greedy ids differ at ${greedy.firstMismatch}:\n  got      ${greedy.actual}\n  expected ${greedy.reference}`);
  assert.deepEqual(batchLogits.dims, batchLogits.referenceDims, `${name}: batch logits dims`);
  assert.ok(batchLogits.compared > 0 && batchLogits.compared < batchLogits.dims.reduce((a, b) => a * b), `${name}: the mask should select some, not all, batch logits`);
  assert.ok(batchLogits.ok, `${name}: batch logits (mask == 1) max abs diff ${batchLogits.maxAbsDiff} over tolerance ${batchLogits.tolerance}`);
  assert.ok(batchGreedy.equal, `${name}: batch greedy ids differ at flat index ${batchGreedy.firstMismatch}:\n  got      ${batchGreedy.actual}\n  expected ${batchGreedy.reference}`);
}

describe('oracle fixtures in Chromium', () => {
  let page;
  before(async () => {
    page = await oraclePage();
  });
  after(async () => {
    await page?.close();
  });

  it('the page is cross-origin isolated by the server headers', async () => {
    assert.equal(await page.evaluate(() => window.oracle.crossOriginIsolated), true);
  });

  for (const fixture of LLAMA_FIXTURES) {
    it(`${fixture}: logits, greedy ids and the padded batch match upstream`, async () => {
      const summary = await page.evaluate((name) => window.oracle.checkFixture(name), fixture);
      assertFixture(fixture, summary);
      assert.deepEqual(page.errors, []);
    });
  }
});

describe('oracle fixtures in Chromium on the threaded build (2 threads, cross-origin isolated)', () => {
  let page;
  before(async () => {
    page = await oraclePage('?threads=2');
  });
  after(async () => {
    await page?.close();
  });

  for (const fixture of LLAMA_FIXTURES) {
    it(`${fixture}: logits, greedy ids and the padded batch match upstream`, async () => {
      const summary = await page.evaluate((name) => window.oracle.checkFixture(name), fixture);
      assert.deepEqual(summary.runtime, { threads: 2, threaded: true, reason: 'cross-origin isolated' });
      assertFixture(fixture, summary);
    });
  }
});

describe('a page without COOP/COEP asked for 2 threads', () => {
  it('runs single-threaded, says why, and still matches upstream', async () => {
    const plain = await openBrowser({ isolation: false });
    try {
      const page = await plain.newPage();
      await page.goto(plain.url('/tests/browser/oracle.html?threads=2'));
      await page.waitForFunction(() => window.oracleReady === true, null, { timeout: 15_000 });
      const summary = await page.evaluate((name) => window.oracle.checkFixture(name), GOOD);
      assert.equal(summary.runtime.threaded, false);
      assert.match(summary.runtime.reason, /not cross-origin isolated.*Cross-Origin-Opener-Policy/);
      assertFixture(GOOD, summary);
    } finally {
      await plain.close();
    }
  });
});

describe('the oracle BERT in Chromium, through the wax worker', () => {
  it('last_hidden_state, pooler_output and the sentence embeddings match upstream', async () => {
    const page = await oraclePage();
    try {
      const summary = await page.evaluate(() => window.oracle.checkBert());
      assert.equal(summary.inWorker, true, 'the models ran in the worker');
      for (const key of ['last_hidden_state', 'pooler_output', 'embeddings']) {
        assert.deepEqual(summary[key].dims, summary[key].referenceDims, `${key} dims`);
        assert.ok(summary[key].ok, `${key}: max abs diff ${summary[key].maxAbsDiff} over tolerance ${summary[key].tolerance}`);
      }
    } finally {
      await page.close();
    }
  });
});

describe('seeded sampling in Chromium', () => {
  it('gives the same ids as in Node for the same seed', async () => {
    const { AutoModelForCausalLM } = await import('../../js/src/index.js');
    const prompt = [1, 404, 442, 316, 312];
    const options = { max_new_tokens: 24, do_sample: true, temperature: 0.9, top_k: 40, top_p: 0.95, min_p: 0.01, repetition_penalty: 1.2, eos_token_id: [] };
    const model = await AutoModelForCausalLM.from_pretrained(new URL(`../fixtures/${GOOD}`, import.meta.url).pathname);
    const page = await oraclePage();
    try {
      for (const seed of [1, 7, 123456]) {
        const inNode = (await model.generate({ input_ids: [prompt], ...options, seed })).tolist()[0].map(Number);
        assert.deepEqual(await page.evaluate(([p, o]) => window.oracle.sample('llama_gqa_tied', p, o), [prompt, { ...options, seed }]), inNode, `seed ${seed}`);
      }
    } finally {
      model.dispose();
      await page.close();
    }
  });
});

describe('a wasm module that cannot load', () => {
  it('is a WaxError naming the URL, and fixing env.wasm.wasmPaths recovers', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(browser.url('/tests/browser/oracle.html'));
      const result = await page.evaluate(async () => {
        const { AutoModelForCausalLM, env } = await import('/js/src/index.js');
        env.wasm.wasmPaths = '/no-such-folder';
        const error = await AutoModelForCausalLM.from_pretrained('/tests/fixtures/llama_gqa_tied/').then(() => null, (e) => e);
        env.wasm.wasmPaths = '/js/dist';
        const model = await AutoModelForCausalLM.from_pretrained('/tests/fixtures/llama_gqa_tied/');
        const { logits } = await model.forward({ input_ids: [[1, 2, 3]] });
        model.dispose();
        return { name: error?.name, code: error?.code, message: error?.message, dims: logits.dims };
      });
      assert.equal(result.name, 'WaxError');
      assert.equal(result.code, 'WAX_WASM_LOAD_FAILED');
      assert.match(result.message, /no-such-folder\/wax\.wasm/);
      assert.deepEqual(result.dims, [1, 3, 512]);
    } finally {
      await page.close();
    }
  });
});

describe('malformed safetensors in Chromium', () => {
  let page;
  let config, good;
  /** Bodies served under /malformed/<variant>/, built from the good fixture. */
  const variants = {};

  before(async () => {
    config = await readFile(fixtureFile(GOOD, 'config.json'));
    good = new Uint8Array(await readFile(fixtureFile(GOOD, 'model.safetensors')));
    const headerLength = Number(new DataView(good.buffer, good.byteOffset).getBigUint64(0, true));

    const tooLong = good.slice();
    new DataView(tooLong.buffer).setBigUint64(0, BigInt(good.length + 1000), true); // header past the end
    const notJson = good.slice();
    notJson.fill(0x7b /* { */, 8, 8 + headerLength); // '{{{{…': not JSON
    const truncated = good.slice(0, 8 + headerLength + Math.floor((good.length - 8 - headerLength) / 2)); // data cut in half
    Object.assign(variants, { 'header-too-long': tooLong, 'header-not-json': notJson, truncated });

    page = await oraclePage();
    await page.route((url) => url.pathname.startsWith('/malformed/'), (route) => {
      const [, , variant, file] = new URL(route.request().url()).pathname.split('/');
      if (file === 'config.json') return route.fulfill({ status: 200, contentType: 'application/json', body: config });
      if (file === 'model.safetensors' && variants[variant]) {
        return route.fulfill({ status: 200, contentType: 'application/octet-stream', body: Buffer.from(variants[variant]) });
      }
      return route.fulfill({ status: 404, contentType: 'text/plain', body: 'not found' });
    });
  });
  after(async () => {
    await page?.close();
  });

  for (const variant of ['header-too-long', 'header-not-json', 'truncated']) {
    it(`${variant}: a WaxError with code WAX_BAD_SAFETENSORS that names the file`, async () => {
      const result = await page.evaluate((url) => window.oracle.loadError(url), `/malformed/${variant}/`);
      assert.equal(result.loaded, false, 'the malformed file loaded');
      assert.ok(result.isWaxError, `expected a WaxError, got ${result.name}: ${result.message}`);
      assert.equal(result.name, 'WaxError');
      assert.equal(result.code, 'WAX_BAD_SAFETENSORS', result.message);
      assert.match(result.message, /model\.safetensors/);
    });
  }

  it('a missing folder gives WAX_NOT_FOUND', async () => {
    const result = await page.evaluate((url) => window.oracle.loadError(url), '/malformed/no-such-model/');
    assert.equal(result.isWaxError, true);
    assert.equal(result.code, 'WAX_NOT_FOUND', result.message);
  });

  it('the same page then loads a good model and matches the oracle', async () => {
    assertFixture(GOOD, await page.evaluate((name) => window.oracle.checkFixture(name), GOOD));
  });
});
