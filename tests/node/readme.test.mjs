// Every ```js block of README.md runs as written: each as a module in its own `node` process from
// the repository root (where `import … from 'wax-ml'` finds this package by its own name), after a
// preamble that points env.remoteHost at a local stand-in of the Hub (serving a tiny fixture under
// each repo id the README uses) and the cache at a temporary folder. A block fenced ```js no-run is
// skipped; there are to be very few. The README's table of error codes is WAX_ERROR_CODES.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';

import { WAX_ERROR_CODES } from '../../js/src/index.js';
import { startHubServer } from '../helpers/hub-server.mjs';
import { fencedBlocks } from '../helpers/markdown.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const README = await readFile(join(ROOT, 'README.md'), 'utf8');

const REPO_FILES = ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'];

/** A fixture folder's files as the Hub stand-in takes them (weights by path). */
async function folderFiles(folder, names) {
  const files = {};
  for (const name of names) files[name] = name.endsWith('.safetensors') ? { path: join(ROOT, folder, name) } : await readFile(join(ROOT, folder, name));
  return files;
}

/** The Hub repo ids the README's blocks name → the files the stand-in serves under that id. */
const HUB_REPOS = {
  'HuggingFaceTB/SmolLM2-135M': () => folderFiles('tests/fixtures/llama_gqa_tied', REPO_FILES),
};

const jsBlocks = fencedBlocks(README).filter((block) => block.info.split(/\s+/)[0] === 'js');
const runnable = jsBlocks.filter((block) => !block.info.split(/\s+/).includes('no-run'));

let hub, cacheDir;
before(async () => {
  hub = await startHubServer();
  for (const [id, files] of Object.entries(HUB_REPOS)) await hub.addRepo(id, await files());
  cacheDir = await mkdtemp(join(tmpdir(), 'wax-readme-cache-'));
});
after(async () => {
  await hub?.close();
  await rm(cacheDir, { recursive: true, force: true });
});

describe('README.md', () => {
  it('has js blocks to run, and very few marked no-run', () => {
    assert.ok(runnable.length >= 3, `${runnable.length} runnable js blocks`);
    assert.ok(jsBlocks.length - runnable.length <= 2, `${jsBlocks.length - runnable.length} blocks are marked no-run`);
  });

  for (const block of runnable) {
    it(`the js block at README.md:${block.line} runs`, async () => {
      const preamble = `import { env as readmeTestEnv } from 'wax-ml';\nreadmeTestEnv.remoteHost = ${JSON.stringify(hub.url)};\n`;
      // Not execFileSync: the Hub stand-in answers from this process's event loop.
      const child = promisify(execFile)(process.execPath, ['--input-type=module'], {
        cwd: ROOT, timeout: 120_000, env: { ...process.env, WAX_CACHE_DIR: cacheDir },
      });
      child.child.stdin.end(preamble + block.code);
      try {
        await child;
      } catch (error) {
        assert.fail(`README.md:${block.line} failed (exit ${error.code ?? error.signal}):\n${error.stderr}`);
      }
    });
  }

  it('lists every error code of WAX_ERROR_CODES, and no other', () => {
    const listed = [...README.matchAll(/^\| `(WAX_[A-Z_]+)` \|/gm)].map((match) => match[1]);
    assert.deepEqual(listed.toSorted(), Object.keys(WAX_ERROR_CODES).toSorted());
  });
});
