// wax in a user's page: the npm tarball installed into a fresh project, served from that project's
// folder, imported through an import map. The bundled model answers a chat (the chat template
// needs @huggingface/jinja, which the package carries) and no request of the page or of its
// workers fails: no red 404 in the console.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, it } from 'node:test';

import { startServer } from '../../tools/serve.mjs';
import { installPackage } from '../helpers/installed-package.mjs';
import { openBrowser } from './browser.mjs';

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>a page using wax-ml</title>
<link rel="icon" href="data:,">
<script type="importmap">{ "imports": { "wax-ml": "./node_modules/wax-ml/js/src/index.js" } }</script>
<script type="module">
  import { pipeline } from 'wax-ml';
  try {
    const generator = await pipeline('text-generation', new URL('./node_modules/wax-ml/models/kjv-llama-5m/', location.href).href);
    const [{ generated_text }] = await generator([{ role: 'user', content: 'Who made the light?' }], { max_new_tokens: 12, do_sample: false });
    window.answer = generated_text.at(-1);
    await generator.dispose();
  } catch (error) {
    window.answer = { error: String(error) };
  }
</script>
`;

let project, server, browser;
before(async () => {
  project = await installPackage();
  await writeFile(join(project.dir, 'index.html'), PAGE);
  server = await startServer({ root: project.dir, port: 0 });
  browser = await openBrowser();
});
after(async () => {
  await browser?.close();
  await server?.close();
  await project?.remove();
});

it('a page of another project imports wax-ml, chats with the bundled model, and no request fails', async () => {
  const failed = [];
  const consoleErrors = [];
  // Context-wide, so that requests and console messages of wax's worker count too.
  browser.context.on('response', (response) => { if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`); });
  browser.context.on('requestfailed', (request) => failed.push(`${request.failure()?.errorText} ${request.url()}`));
  browser.context.on('console', (message) => { if (message.type() === 'error') consoleErrors.push(message.text()); });
  const page = await browser.newPage();
  await page.goto(new URL('index.html', server.url).href);
  await page.waitForFunction(() => window.answer !== undefined, null, { timeout: 60_000 });
  const answer = await page.evaluate(() => window.answer);
  assert.equal(answer.error, undefined, answer.error);
  assert.equal(answer.role, 'assistant');
  assert.ok(answer.content.length > 0, 'a non-empty answer');
  assert.deepEqual(failed, []);
  assert.deepEqual([...consoleErrors, ...page.errors], []);
  await page.close();
});
