// Issue 11's probes in Chromium (tests/browser/issue11-probes.html, served cross-origin isolated,
// so the threaded build runs): the input probes of tests/helpers/input-probes.mjs on the page's
// main thread (worker: false) and in the wax worker the library starts from it (the default),
// asserted as in Node; then the loader against the stand-in Hub on another origin:
// local_files_only with an empty Cache API, an abort while the body stalls, clearCache() during a
// download, a nested tokenizer.json and NaN in one shard, the good model loading after each.
// Every wait on the page is bounded (answerWithin): a round or probe that never answers fails,
// naming it, instead of hanging the run.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, beforeEach, describe, it } from 'node:test';

import { splitSafetensors, startHubServer } from '../helpers/hub-server.mjs';
import { inputProbeTests } from '../helpers/input-probe-checks.mjs';
import { answerWithin, openBrowser } from './browser.mjs';

const fixtureFile = (file) => new URL(`../fixtures/llama_gqa_tied/${file}`, import.meta.url);
let browser, hub, page;

/** A round of input probes takes seconds (a minute on a loaded machine); a loader probe less. */
const ROUND_MS = 180_000;
const LOADER_MS = 60_000;
/** node:test's own limit on each hook and test, beyond the waits above. */
const TEST_OPTIONS = { timeout: ROUND_MS + 30_000 };

/** Where a round is: the step its page last reported (tests/helpers/input-probes.mjs onStep). */
function describeStep(label, step) {
  if (!step) return `${label}: the page`;
  return step.round === null ? `${label}: ${step.probe}` : `${label}: probe '${step.probe}' (its round ${step.round + 1} of 2)`;
}

before(async () => {
  hub = await startHubServer();
  const names = ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'];
  const files = Object.fromEntries(await Promise.all(names.map(async (file) => [file, new Uint8Array(await readFile(fixtureFile(file)))])));
  await hub.addRepo('probe/good', files);
  const nestedTokenizer = `{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "pre_tokenizer": ${'{"type": "Sequence", "pretokenizers": ['.repeat(5000)}{"type": "Whitespace"}${']}'.repeat(5000)}}`;
  await hub.addRepo('probe/nested-tokenizer', { 'tokenizer.json': new TextEncoder().encode(nestedTokenizer) });
  const shards = splitSafetensors(files['model.safetensors'], 3);
  const shardName = Object.keys(shards).filter((file) => file.endsWith('.safetensors'))[1];
  const shard = shards[shardName].slice();
  const view = new DataView(shard.buffer);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(shard.subarray(8, 8 + headerLength)));
  const [tensor, { data_offsets }] = Object.entries(header).find(([name]) => name !== '__metadata__');
  view.setUint32(8 + headerLength + data_offsets[0] + 3 * 4, 0x7fc00000, true); // NaN at element 3
  hub.poisoned = { tensor, shardName };
  await hub.addRepo('probe/nan-shard', { 'config.json': files['config.json'], ...shards, [shardName]: shard });
  browser = await openBrowser();
  page = await browser.newPage();
  await page.goto(browser.url('/tests/browser/issue11-probes.html'));
  await page.waitForFunction(() => window.probesReady === true, null, { timeout: 15_000 });
}, TEST_OPTIONS);
after(async () => {
  await page?.close();
  await browser?.close();
  await hub?.close();
}, TEST_OPTIONS);

for (const worker of [true, false]) {
  const label = `the input probes ${worker ? 'in the wax worker' : 'on the page\'s main thread'}`;
  describe(`bad inputs in Chromium, ${worker ? 'in the wax worker the page starts' : 'on the page\'s main thread'}`, TEST_OPTIONS, () => {
    let run;
    before(async () => {
      // A page of its own, so that each round starts from a fresh module.
      const own = await browser.newPage();
      let step = null;
      await own.exposeFunction('waxProbeStep', (reached) => { step = reached; });
      try {
        await own.goto(browser.url('/tests/browser/issue11-probes.html'));
        await own.waitForFunction(() => window.probesReady === true, null, { timeout: 15_000 });
        assert.equal(await own.evaluate(() => window.probes.crossOriginIsolated), true, 'served cross-origin isolated: the threaded build');
        run = await answerWithin(own.evaluate((inWorker) => window.probes.inputs(inWorker), worker), ROUND_MS, () => describeStep(label, step));
      } finally {
        await own.close();
      }
    }, TEST_OPTIONS);
    inputProbeTests(() => run, { heapUsed: !worker });
  });
}

describe('the loader in Chromium against the stand-in Hub', TEST_OPTIONS, () => {
  const loader = (name, ...args) => answerWithin(page.evaluate(([probe, host, rest]) => window.probes.loader(probe, host, ...rest), [name, hub.url, args]),
    LOADER_MS, () => `the loader probe '${name}'${args.length ? ` (${args.join(', ')})` : ''}`);
  let goodIds;
  before(async () => { goodIds = await loader('goodIds'); }, TEST_OPTIONS);
  beforeEach(() => hub.reset());

  it('local_files_only with an empty Cache API: WAX_NOT_FOUND, and not one request', async () => {
    const result = await loader('localFilesOnly');
    assert.equal(result.code, 'WAX_NOT_FOUND', result.message);
    assert.ok(result.waxError);
    assert.match(result.message, /config\.json: not in the cache, and local_files_only is true/);
    assert.deepEqual(hub.requests, []);
    assert.deepEqual(await loader('goodIds'), goodIds);
  });

  it('an abort while the body stalls ends the load at once, nothing cached; the next load works', async () => {
    hub.options.stallAt = 0.5;
    const result = await loader('abortDuringStall');
    assert.equal(result.error?.name, 'AbortError', JSON.stringify(result.error));
    assert.ok(result.ms < 3000, `aborted after ${result.ms} ms`);
    assert.equal(result.cached, false);
    hub.reset();
    assert.deepEqual(await loader('goodIds'), goodIds);
  });

  for (const worker of [false, true]) {
    it(`clearCache() during a download ${worker ? 'in the wax worker' : 'on the page'}: the load ends, and nothing of it stays in the Cache API`, async () => {
      hub.options.bytesPerSecond = 400_000;
      const { keys } = await loader('clearDuringDownload', worker);
      assert.deepEqual(keys.filter((key) => key.startsWith(hub.url)), []);
    });
  }

  it('a tokenizer.json nested 5000 deep is WAX_BAD_TOKENIZER in the threaded build; the worker goes on', async () => {
    const result = await loader('nestedTokenizer');
    assert.equal(result.code, 'WAX_BAD_TOKENIZER', result.message);
    assert.match(result.message, /tokenizer\.json: arrays and objects nested more than 64 levels/);
    assert.deepEqual(result.idsAfter, goodIds);
  });

  it('NaN in one shard is WAX_BAD_WEIGHTS naming the shard and the tensor, as fp32 and q8', async () => {
    for (const dtype of ['fp32', 'q8']) {
      const result = await loader('nanShard', dtype);
      assert.equal(result.code, 'WAX_BAD_WEIGHTS', result.message);
      assert.ok(result.message.includes(`probe/nan-shard/resolve/main/${hub.poisoned.shardName}`), result.message);
      assert.ok(result.message.includes(`tensor '${hub.poisoned.tensor}' holds NaN at element [0, 3]`), result.message);
      assert.deepEqual(result.idsAfter, goodIds);
    }
  });

  it('nothing reached the page\'s console as an error', () => {
    assert.deepEqual(page.errors.filter((error) => !/Failed to load resource/.test(error)), []);
  });
});
