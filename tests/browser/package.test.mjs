// wax in a user's page: the npm tarball installed into a fresh project, served from that project's
// folder, and the README's page (its ```html block) opened there: it imports wax-ml through an
// import map and the bundled model answers a chat (the chat template needs @huggingface/jinja,
// which the package carries). No request of the page or of wax's worker fails: no red 404 in the
// console (the browser's own /favicon.ico request aside).
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, it } from 'node:test';

import { startServer } from '../../tools/serve.mjs';
import { installPackage } from '../helpers/installed-package.mjs';
import { fencedBlocks } from '../helpers/markdown.mjs';
import { openBrowser } from './browser.mjs';

const README = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
const PAGE = fencedBlocks(README).find((block) => block.info === 'html');

let project, server, browser;
before(async () => {
  project = await installPackage();
  await writeFile(join(project.dir, 'index.html'), PAGE.code);
  server = await startServer({ root: project.dir, port: 0 });
  browser = await openBrowser();
});
after(async () => {
  await browser?.close();
  await server?.close();
  await project?.remove();
});

it("the README's page, in another project, imports wax-ml and chats with the bundled model, and no request fails", async () => {
  const failed = [];
  const consoleErrors = [];
  // Context-wide, so that the requests and console messages of wax's worker count too.
  browser.context.on('response', (response) => { if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`); });
  browser.context.on('requestfailed', (request) => failed.push(`${request.failure()?.errorText} ${request.url()}`));
  browser.context.on('console', (message) => {
    if (message.type() === 'error' && !message.location().url.endsWith('/favicon.ico')) consoleErrors.push(`${message.text()} (${message.location().url})`);
  });
  const page = await browser.context.newPage();
  const thrown = new Promise((resolve) => page.on('pageerror', (error) => {
    consoleErrors.push(`pageerror: ${error.message}`);
    resolve();
  }));
  await page.goto(new URL('index.html', server.url).href);
  await Promise.race([thrown, page.waitForFunction(() => document.body?.textContent.trim().length > 0, null, { timeout: 60_000 })]);
  assert.deepEqual(consoleErrors, []);
  assert.deepEqual(failed, []);
  assert.ok((await page.textContent('body')).trim().length > 10, 'the answer is on the page');
  assert.ok(page.workers().length >= 1, "the model ran in wax's worker");
  await page.close();
});
