// Shared set-up for the browser tests: the repo's static server (tools/serve.mjs) in-process on a
// free port, and Debian's headless Chromium driven by playwright-core (never a downloaded browser).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

import { startServer } from '../../tools/serve.mjs';

export const CHROMIUM = process.env.WAX_CHROMIUM ?? '/usr/bin/chromium';

// Without the networking flags Chromium keeps trying to reach Google on a closed network.
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * `promise`, or a failure saying `what()` gave no answer in `ms` (a page that never answers must
 * fail its test, naming what it was doing, rather than hang the run). `what` is called at the
 * timeout, so it can name the step a page reached.
 */
export async function answerWithin(promise, ms, what) {
  let timer;
  const late = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what()} gave no answer in ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts a server and a browser. `close()` shuts both and removes the profile folder.
 *
 * @param {{ isolation?: boolean, args?: string[] }} [options] isolation: serve with COOP/COEP (default true);
 *   args: more Chromium flags (a fake microphone)
 */
export async function openBrowser({ isolation = true, args = [] } = {}) {
  const server = await startServer({ port: 0, isolation });
  const profile = await mkdtemp(join(tmpdir(), 'wax-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, ...args] });
  } catch (error) {
    await server.close();
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  return {
    server,
    context,
    url: (path) => new URL(path, server.url).href,
    /** A new page that records uncaught errors and console errors in `page.errors`. */
    async newPage() {
      const page = await context.newPage();
      page.errors = [];
      page.on('pageerror', (error) => page.errors.push(`pageerror: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error') page.errors.push(`console: ${message.text()}`);
      });
      return page;
    },
    /** The highest peak RSS (VmHWM of /proc/<pid>/status) among the renderer processes, in bytes: the memory a page and its workers took. */
    async rendererPeakBytes() {
      const session = await context.browser().newBrowserCDPSession();
      const { processInfo } = await session.send('SystemInfo.getProcessInfo');
      await session.detach();
      let peak = 0;
      for (const { type, id } of processInfo) {
        if (type !== 'renderer') continue;
        const status = await readFile(`/proc/${id}/status`, 'utf8').catch(() => '');
        peak = Math.max(peak, Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024);
      }
      return peak;
    },
    async close() {
      await context.close().catch(() => {});
      await server.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
