// The download cache under faults (issue 11, items 9 and 10): what a server sends that is not the
// file (a captive portal's HTML "200", a 404 that comes and goes, a 503, no network) never sticks
// in the cache, and what an interrupted download leaves (a killed process, a Content-Range that
// disagrees with the header) is removed: no `.part` file, no open descriptor.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readFile, readdir, readlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { AutoModelForCausalLM, AutoTokenizer, clearCache, env, isCached } from '../../js/src/index.js';
import { openCache } from '../../js/src/loader/cache.js';
import { getRuntime } from '../../js/src/runtime.js';
import { splitSafetensors } from '../helpers/hub-server.mjs';
import { useTestHub } from '../helpers/test-hub.mjs';
import { fixtureDir } from './fixtures.mjs';

const TINY = 'wax-test/tiny';
const SHARDED = 'wax-test/sharded';
const TRUNCATED = 'wax-test/truncated';
const CAPTIVE_PORTAL = '<!DOCTYPE html><html><head><title>Sign in to the network</title></head><body>Accept the terms</body></html>';
const testHub = useTestHub('loader-cache');

let hub, files;

before(async () => {
  hub = await testHub.start();
  const read = async (file) => new Uint8Array(await readFile(join(fixtureDir('llama_gqa_tied'), file)));
  files = Object.fromEntries(await Promise.all(['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json']
    .map(async (file) => [file, await read(file)])));
  await hub.addRepo(TINY, files);
  await hub.addRepo(SHARDED, { 'config.json': files['config.json'], ...splitSafetensors(files['model.safetensors'], 3) });
  // The server's Content-Range total (the file's real size) is shorter than the header says.
  await hub.addRepo(TRUNCATED, { 'config.json': files['config.json'], 'model.safetensors': files['model.safetensors'].subarray(0, files['model.safetensors'].length - 4096) });
});

async function loadAndDispose(source, options) {
  const model = await AutoModelForCausalLM.from_pretrained(source, options);
  const generationConfig = model.generation_config;
  model.dispose();
  return generationConfig;
}

const partFiles = async () => (await readdir(env.cacheDir, { recursive: true }).catch(() => [])).filter((name) => name.endsWith('.part'));
const asked = (file) => hub.requests.some((r) => r.path.endsWith(`/${file}`));

describe('nothing but the real file is cached', () => {
  it('a captive portal\'s HTML "200" for config.json: a clear error, nothing cached, the next load works without clearCache', async () => {
    hub.options.intercept = ({ file }) => (file === 'config.json' ? { status: 200, headers: { 'Content-Type': 'text/html' }, body: CAPTIVE_PORTAL } : null);
    await assert.rejects(AutoModelForCausalLM.from_pretrained(TINY), (e) =>
      e.code === 'WAX_FETCH_FAILED' && /HTML page, not JSON/.test(e.message) && e.message.includes(`${hub.url}${TINY}/resolve/main/config.json`) &&
      /nothing was cached/.test(e.message));
    assert.equal(await isCached(TINY), false);
    hub.reset();
    await loadAndDispose(TINY);
    assert.equal(await isCached(TINY), true);
  });

  it('the same for tokenizer.json', async () => {
    hub.options.intercept = ({ file }) => (file === 'tokenizer.json' ? { status: 200, headers: { 'Content-Type': 'text/html' }, body: CAPTIVE_PORTAL } : null);
    await assert.rejects(AutoTokenizer.from_pretrained(TINY), (e) => e.code === 'WAX_FETCH_FAILED' && /tokenizer\.json.*HTML page/.test(e.message));
    hub.reset();
    (await AutoTokenizer.from_pretrained(TINY)).dispose();
    hub.reset();
    (await AutoTokenizer.from_pretrained(TINY)).dispose();
    assert.ok(!asked('tokenizer.json'), 'cached once it parsed');
  });

  it('an entry that an older wax cached unparsed is dropped and fetched again', async () => {
    const cache = await openCache();
    await cache.putText(`${hub.url}${TINY}/resolve/main/config.json`, CAPTIVE_PORTAL);
    assert.equal(await isCached(TINY), false);
    await loadAndDispose(TINY);
    assert.ok(asked('config.json'));
    assert.equal(await isCached(TINY), true);
  });
});

describe('a failure is never remembered as absence', () => {
  it('a transient 404 for the weights fails that load only', async () => {
    hub.options.intercept = ({ file }) => (file.endsWith('.safetensors') ? { status: 404, headers: { 'X-Error-Code': 'EntryNotFound' }, body: 'Entry not found' } : null);
    await assert.rejects(AutoModelForCausalLM.from_pretrained(TINY), (e) => e.code === 'WAX_NOT_FOUND' && /neither model\.safetensors nor/.test(e.message));
    hub.reset();
    await loadAndDispose(TINY);
  });

  it('a 503 for generation_config.json fails the load (not "absent"); the next load gets the file', async () => {
    hub.options.intercept = ({ file }) => (file === 'generation_config.json' ? { status: 503, body: 'Service Unavailable' } : null);
    await assert.rejects(AutoModelForCausalLM.from_pretrained(TINY), (e) =>
      e.code === 'WAX_FETCH_FAILED' && /generation_config\.json/.test(e.message) && /HTTP 503/.test(e.message));
    hub.reset();
    assert.equal((await loadAndDispose(TINY)).eos_token_id, 2);
  });

  it('a 503 for the weights is a WAX_FETCH_FAILED naming the status, not "not found"', async () => {
    hub.options.intercept = ({ file }) => (file === 'model.safetensors' ? { status: 503, body: 'Service Unavailable' } : null);
    await assert.rejects(AutoModelForCausalLM.from_pretrained(TINY), (e) => e.code === 'WAX_FETCH_FAILED' && /model\.safetensors.*HTTP 503/.test(e.message));
  });

  it('a transient 404 for generation_config.json is believed for 10 minutes, then asked again', async () => {
    hub.options.intercept = ({ file }) => (file === 'generation_config.json' ? { status: 404, headers: { 'X-Error-Code': 'EntryNotFound' }, body: 'Entry not found' } : null);
    assert.deepEqual(await loadAndDispose(TINY), {});
    hub.reset();
    assert.deepEqual(await loadAndDispose(TINY), {}, 'within the TTL the 404 stands');
    assert.ok(!asked('generation_config.json'));
    const meta = join(testHub.cacheFolder(TINY), 'generation_config.json.wax.json');
    await writeFile(meta, JSON.stringify({ ...JSON.parse(await readFile(meta, 'utf8')), at: Date.now() - 11 * 60 * 1000 }));
    assert.equal((await loadAndDispose(TINY)).eos_token_id, 2, 'the sampling defaults come back');
  });

  it('a cached model loads with no network at all, also once a remembered 404 is stale', async () => {
    await loadAndDispose(SHARDED); // no generation_config.json: its 404 is remembered
    const meta = join(testHub.cacheFolder(SHARDED), 'generation_config.json.wax.json');
    await writeFile(meta, JSON.stringify({ missing: true, at: 0 }));
    const calls = [];
    env.fetch = async (url) => {
      calls.push(String(url));
      throw new TypeError('fetch failed', { cause: new Error('getaddrinfo ENOTFOUND') });
    };
    await loadAndDispose(SHARDED);
    assert.deepEqual(calls, [`${hub.url}${SHARDED}/resolve/main/generation_config.json`], 'only the stale answer was asked again');
    env.fetch = testHub.savedEnv.fetch;
    hub.reset();
    await loadAndDispose(SHARDED);
    assert.ok(!hub.requests.some((r) => r.path.endsWith('model.safetensors')), 'a cached index: model.safetensors is not asked for');
  });
});

describe('interrupted downloads leave nothing behind', () => {
  /** Cache-folder files this process holds open. */
  async function openCacheFiles() {
    const fds = await readdir('/proc/self/fd');
    const targets = await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
    return targets.filter((target) => target.startsWith(env.cacheDir));
  }

  it('a Content-Range total that disagrees with the header: no .part, no open descriptor, no heap', async () => {
    const runtime = await getRuntime();
    const heapBefore = runtime.heapUsed();
    for (const dtype of ['fp32', 'q8']) {
      await assert.rejects(AutoModelForCausalLM.from_pretrained(TRUNCATED, { dtype }), (e) =>
        e.code === 'WAX_BAD_SAFETENSORS' && /past the data section/.test(e.message) && e.message.includes(`${TRUNCATED}/resolve/main/model.safetensors`));
      await new Promise((resolve) => setTimeout(resolve, 50)); // a handle closed late would show up here
      assert.deepEqual(await partFiles(), [], dtype);
      assert.deepEqual(await openCacheFiles(), [], dtype);
      assert.equal(runtime.heapUsed(), heapBefore, dtype);
    }
  });

  /** Starts a Node process loading TINY into this test's cacheDir, and SIGKILLs it once its .part file is there. */
  async function killMidDownload() {
    hub.options.stallAt = 0.5;
    const script = `import { AutoModelForCausalLM, env } from ${JSON.stringify(fileURLToPath(new URL('../../js/src/index.js', import.meta.url)))};
      env.remoteHost = process.env.HUB; env.cacheDir = process.env.CACHE; env.fetchStallTimeout = 0;
      await AutoModelForCausalLM.from_pretrained('${TINY}');`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, HUB: hub.url, CACHE: env.cacheDir }, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const deadline = Date.now() + 20_000;
    // The weights' .part: small files (config.json) are written through a .part of their own that is renamed at once.
    while (!(await partFiles()).some((name) => /model\.safetensors\.[^/]*\.part$/.test(name))) {
      assert.ok(Date.now() < deadline, 'the child never started writing');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGKILL');
    await exited;
    hub.reset();
    assert.equal((await partFiles()).length, 1);
  }

  it('a process killed mid-download: the next load of that model removes its .part', async () => {
    await killMidDownload();
    await loadAndDispose(TINY);
    assert.deepEqual(await partFiles(), []);
  });

  it('... and so does clearCache() with no argument', async () => {
    await killMidDownload();
    await clearCache();
    assert.deepEqual(await partFiles(), []);
  });

  it('the .part of a live writer stays; a dead one\'s, or one untouched for an hour, goes', async () => {
    const folder = testHub.cacheFolder(TINY);
    await mkdir(folder, { recursive: true });
    const live = `model.safetensors.${process.ppid}-0.live.part`; // the test runner: alive
    const old = `model.safetensors.${process.ppid}-0.old.part`;
    const dead = 'model.safetensors.2147483646-0.dead.part';
    for (const name of [live, old, dead]) await writeFile(join(folder, name), 'partial');
    const hourAgo = (Date.now() - 61 * 60 * 1000) / 1000;
    await utimes(join(folder, old), hourAgo, hourAgo);
    await clearCache(TINY);
    assert.deepEqual(await readdir(folder), [live]);
  });
});
