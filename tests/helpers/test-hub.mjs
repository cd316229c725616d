// One stand-in Hub (hub-server.mjs) per test file, and for each test an env that points at it
// with a cache folder of its own, restored after the test:
//
//   const testHub = useTestHub('loader');
//   before(async () => { hub = await testHub.start(); await hub.addRepo(...); });
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach } from 'node:test';

import { env } from '../../js/src/index.js';
import { startHubServer } from './hub-server.mjs';

/**
 * @returns {{ start(): Promise<object>, hub: object, scratch: string, savedEnv: object,
 *   cacheFolder(repo: string, revision?: string): string }} start(): the hub, started once
 */
export function useTestHub(name) {
  const savedEnv = { ...env };
  let cacheCount = 0, started = null;
  const state = {
    hub: null,
    scratch: null,
    savedEnv,
    start() {
      started ??= (async () => {
        state.hub = await startHubServer();
        state.scratch = await mkdtemp(join(tmpdir(), `wax-${name}-`));
        return state.hub;
      })();
      return started;
    },
    /** The folder of the current test's cache that holds a repo's files. */
    cacheFolder: (repo, revision = 'main') => join(env.cacheDir, new URL(state.hub.url).host.replace(':', '%3a'), ...repo.split('/'), 'resolve', revision),
  };
  after(async () => {
    await state.hub?.close();
    if (state.scratch) await rm(state.scratch, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await state.start();
    Object.assign(env, savedEnv, { remoteHost: state.hub.url, cacheDir: join(state.scratch, `cache-${cacheCount++}`) });
    state.hub.reset();
  });
  afterEach(() => Object.assign(env, savedEnv));
  return state;
}
