// tools/serve.mjs, the server every browser test and `npm start` use: isolation headers, MIME
// types, Range and HEAD, redirects, no way out of the served folder, and choosing its port
// (`npm start -- --port N`, `PORT=N npm start`, a port in use).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';

import { parseRange, startServer } from '../../tools/serve.mjs';

const WEIGHTS = 'tests/fixtures/llama_gqa_tied/model.safetensors';
const SERVE = new URL('../../tools/serve.mjs', import.meta.url).pathname;
const repoFile = (path) => new URL(`../../${path}`, import.meta.url);

let server;
before(async () => {
  server = await startServer({ port: 0 });
});
after(async () => {
  await server?.close();
});

/** A raw request (no URL normalisation, unlike fetch) → { status, headers, body }. */
function get(path, { method = 'GET', headers = {} } = {}) {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method, headers }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serve.mjs', () => {
  it('binds 127.0.0.1 on the free port it was given 0 for', () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.notEqual(server.port, 0);
  });

  it('redirects / to /web/ and folders to their slash', async () => {
    const root = await get('/');
    assert.equal(root.status, 302);
    assert.equal(root.headers.location, '/web/');
    const folder = await get('/web');
    assert.equal(folder.status, 301);
    assert.equal(folder.headers.location, '/web/');
    const index = await get('/web/');
    assert.equal(index.status, 200);
    assert.match(index.headers['content-type'], /^text\/html/);
  });

  it('sends COOP, COEP and CORP on every response, errors included', async () => {
    for (const path of ['/', '/web/', '/js/dist/wax.wasm', '/no-such-file', '/..%2F..%2Fetc%2Fpasswd']) {
      const { headers } = await get(path);
      assert.equal(headers['cross-origin-opener-policy'], 'same-origin', path);
      assert.equal(headers['cross-origin-embedder-policy'], 'require-corp', path);
      assert.equal(headers['cross-origin-resource-policy'], 'same-origin', path);
    }
  });

  it('names the MIME types browsers insist on', async () => {
    const types = {
      '/js/src/index.js': /^text\/javascript/,
      '/tests/helpers/npy.mjs': /^text\/javascript/,
      '/js/dist/wax.wasm': /^application\/wasm$/,
      '/package.json': /^application\/json/,
      '/web/style.css': /^text\/css/,
      '/tests/fixtures/llama_gqa_tied/logits.npy': /^application\/octet-stream$/,
      [`/${WEIGHTS}`]: /^application\/octet-stream$/,
    };
    for (const [path, type] of Object.entries(types)) {
      const { status, headers } = await get(path, { method: 'HEAD' });
      assert.equal(status, 200, path);
      assert.match(headers['content-type'], type, path);
    }
  });

  it('answers HEAD with the length and no body', async () => {
    const { size } = await stat(repoFile(WEIGHTS));
    const head = await get(`/${WEIGHTS}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers['content-length']), size);
    assert.equal(head.headers['accept-ranges'], 'bytes');
    assert.equal(head.body.length, 0);
  });

  it('serves single byte ranges with 206 and refuses unsatisfiable ones with 416', async () => {
    const file = await readFile(repoFile(WEIGHTS));
    const first = await get(`/${WEIGHTS}`, { headers: { Range: 'bytes=0-7' } });
    assert.equal(first.status, 206);
    assert.equal(first.headers['content-range'], `bytes 0-7/${file.length}`);
    assert.deepEqual(first.body, file.subarray(0, 8));
    const suffix = await get(`/${WEIGHTS}`, { headers: { Range: 'bytes=-5' } });
    assert.deepEqual(suffix.body, file.subarray(file.length - 5));
    const open = await get(`/${WEIGHTS}`, { headers: { Range: `bytes=${file.length - 3}-` } });
    assert.deepEqual(open.body, file.subarray(file.length - 3));
    const beyond = await get(`/${WEIGHTS}`, { headers: { Range: `bytes=${file.length}-` } });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers['content-range'], `bytes */${file.length}`);
    const several = await get(`/${WEIGHTS}`, { headers: { Range: 'bytes=0-1,4-5' } });
    assert.equal(several.status, 200); // several ranges: ignored, the whole file
    assert.equal(several.body.length, file.length);
  });

  it('parses Range headers', () => {
    assert.deepEqual(parseRange('bytes=2-', 10), { start: 2, end: 9 });
    assert.deepEqual(parseRange('bytes=2-100', 10), { start: 2, end: 9 });
    assert.deepEqual(parseRange('bytes=-100', 10), { start: 0, end: 9 });
    assert.equal(parseRange('bytes=10-', 10), 'unsatisfiable');
    assert.equal(parseRange('bytes=5-2', 10), null);
    assert.equal(parseRange('items=0-1', 10), null);
    assert.equal(parseRange(undefined, 10), null);
  });

  it('refuses paths outside the served folder', async () => {
    for (const path of ['/..%2F..%2Fetc%2Fpasswd', '/js/%2e%2e%2F%2e%2e%2F%2e%2e%2Fetc/passwd']) {
      const { status, body } = await get(path);
      assert.equal(status, 403, `${path}: ${body}`);
    }
    assert.equal((await get('/../../etc/passwd')).status, 404); // normalised by URL parsing to /etc/passwd under the root
    assert.equal((await get('/web/', { method: 'POST' })).status, 405);
  });

  it('npm start passes its arguments on to serve.mjs (npm start -- --port N)', async () => {
    const { scripts } = JSON.parse(await readFile(repoFile('package.json'), 'utf8'));
    assert.match(scripts.start, /&& node tools\/serve\.mjs$/, 'the server is the last command, so npm appends the arguments to it');
  });

  it('listens where --port N or PORT=N says, --port first', async () => {
    const free = await startServer({ port: 0 }); // a port known to be free once closed
    const { port } = free;
    await free.close();
    for (const [args, env] of [[['--port', String(port)], {}], [[`--port=${port}`], { PORT: '1' }], [[], { PORT: String(port) }]]) {
      const served = await serve(args, env);
      try {
        assert.equal(served.line, `wax demo: http://127.0.0.1:${port}/web/`, `${args} ${JSON.stringify(env)}: ${served.stderr}`);
        assert.equal((await fetch(`http://127.0.0.1:${port}/web/`)).status, 200);
      } finally {
        await served.stop();
      }
    }
  });

  it('a port in use or a bad one exits with a message that says how to pick another', async () => {
    const inUse = await serve(['--port', String(server.port)]);
    assert.equal(inUse.code, 1);
    assert.match(inUse.stderr, new RegExp(`port ${server.port} is already in use`));
    assert.match(inUse.stderr, new RegExp(`npm start -- --port ${server.port + 1}\\b.*PORT=${server.port + 1} npm start.*--port 0`));
    for (const [args, env, shown] of [[['--port', 'eighty'], {}, /--port must be a whole number from 0 to 65535 .*got 'eighty'/],
      [[], { PORT: '70000' }, /PORT must be a whole number from 0 to 65535 .*got '70000'/], [['--prot', '1'], {}, /unknown argument '--prot'/]]) {
      const refused = await serve(args, env);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, shown);
    }
  });
});

/**
 * Runs `node tools/serve.mjs ...args` until it prints its first line or exits:
 * { line, code (null while it runs), stderr, stop() }.
 */
function serve(args, env = {}) {
  const child = spawn(process.execPath, [SERVE, ...args], { env: { ...process.env, PORT: undefined, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const exited = new Promise((resolve) => child.once('close', (code) => resolve(code)));
  const stop = async () => { child.kill(); await exited; };
  return new Promise((resolve) => {
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (stdout.includes('\n')) resolve({ line: stdout.split('\n')[0], code: null, stderr, stop });
    });
    exited.then((code) => resolve({ line: stdout.split('\n')[0], code, stderr, stop }));
  });
}
