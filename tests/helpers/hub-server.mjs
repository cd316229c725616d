// A local stand-in for the Hugging Face Hub, for the loader tests and the load benchmark:
// Node's http on 127.0.0.1 at a free port. What it mimics, each switchable through `options`:
//   GET /<org>/<name>/resolve/<revision>/<file>   small files: 200; *.safetensors: 302 to
//       /cdn/<org>/<name>/<revision>/<file> with X-Linked-Etag (the LFS sha256) and X-Linked-Size,
//       as the Hub redirects LFS files to its CDN
//   Range requests (206, Content-Range; 416), or ignored (options.range = false)
//   gzip bodies whose content-length is the compressed size (options.gzip)
//   slow bodies (options.bytesPerSecond), stalled bodies (options.stallAt: a file offset or a
//   fraction), truncated bodies (options.truncateAt: the connection is cut there)
//   the Hub's errors: 401 RepoNotFound, 404 RevisionNotFound / EntryNotFound, with X-Error-Code,
//   X-Error-Message and the Hub's bodies
//   CORS (Access-Control-Allow-Origin: *, exposed headers), so Chromium pages on another origin can use it
//   anything else through options.intercept({ method, path, file }): null (answer as usual), 'hang'
//       (never answer: no headers), or { status, headers?, body? } (a captive portal's HTML, a 503, a
//       404 that comes and goes)
//
//   const hub = await startHubServer();
//   hub.addRepo('wax-test/tiny', { 'config.json': buffer, 'model.safetensors': { path } });
//   env.remoteHost = hub.url;   // from_pretrained('wax-test/tiny')
//   hub.requests                // [{ method, path, range, status }]
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';

import { parseRange } from '../../tools/serve.mjs';

const DEFAULT_OPTIONS = {
  range: true, gzip: false, redirect: true, lfsSha256: true, bytesPerSecond: 0, stallAt: null, truncateAt: null,
  throttled: /\.safetensors$/, chunkBytes: 64 * 1024, intercept: null,
};
const EXPOSED = 'Content-Range, Content-Length, Content-Encoding, Accept-Ranges, ETag, X-Linked-Etag, X-Linked-Size, X-Repo-Commit, X-Error-Code, X-Error-Message';

async function sha256OfFile(entry) {
  if (entry.bytes) return createHash('sha256').update(entry.bytes).digest('hex');
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(entry.path, { highWaterMark: 16 * 1024 ** 2 })) hash.update(chunk);
  return hash.digest('hex');
}

/**
 * @param {{ host?: string }} [settings]
 * @returns {Promise<{ url: string, options: object, requests: object[], maxConcurrentBodies: number,
 *   addRepo(id: string, files: Record<string, Uint8Array | { path: string }>, opts?: { revision?: string }): Promise<void>,
 *   reset(): void, close(): Promise<void> }>}
 */
export async function startHubServer({ host = '127.0.0.1' } = {}) {
  const repos = new Map(); // 'org/name' → Map(revision → Map(file → { bytes | path, size, sha256, lfs }))
  // busySockets: those with a response in flight. reset() cuts only these (bodies left stalled by
  // an abort test); cutting idle keep-alive sockets too races the client's reuse of them.
  const state = { options: { ...DEFAULT_OPTIONS }, requests: [], bodies: 0, maxConcurrentBodies: 0, sockets: new Set(), busySockets: new Set() };

  const server = createServer(async (request, response) => {
    const record = { method: request.method, path: decodeURIComponent(new URL(request.url, 'http://x').pathname), range: request.headers.range ?? null, status: 0 };
    state.requests.push(record);
    const { socket } = request;
    state.busySockets.add(socket);
    response.on('close', () => state.busySockets.delete(socket));
    const cors = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': EXPOSED, 'Cross-Origin-Resource-Policy': 'cross-origin' };
    const send = (status, headers, body = '') => {
      record.status = status;
      response.writeHead(status, { ...cors, ...headers });
      response.end(request.method === 'HEAD' ? undefined : body);
    };
    const hubError = (status, code, message, body = message) =>
      send(status, { 'X-Error-Code': code, 'X-Error-Message': message, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) }, body);

    if (request.method === 'OPTIONS') {
      return send(204, { 'Access-Control-Allow-Methods': 'GET, HEAD', 'Access-Control-Allow-Headers': '*', 'Access-Control-Max-Age': '600' });
    }
    const match = /^\/(cdn\/)?([^/]+\/[^/]+)\/(?:resolve\/)?([^/]+)\/(.+)$/.exec(record.path);
    if (!match) return hubError(404, 'NotFound', 'Not found');
    const [, cdn, repoId, revision, file] = match;
    const intercepted = state.options.intercept?.({ method: request.method, path: record.path, file }) ?? null;
    if (intercepted === 'hang') return undefined; // reset() or close() cuts the socket
    if (intercepted) {
      const body = intercepted.body ?? '';
      return send(intercepted.status, { 'Content-Length': Buffer.byteLength(body), ...intercepted.headers }, body);
    }
    const repo = repos.get(repoId);
    if (!repo) return send(401, { 'X-Error-Code': 'RepoNotFound', 'X-Error-Message': 'Repository not found', 'Content-Type': 'application/json' }, JSON.stringify({ error: 'Repository not found' }));
    const files = repo.get(revision);
    if (!files) return hubError(404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
    const entry = files.get(file);
    if (!entry) return hubError(404, 'EntryNotFound', 'Entry not found');
    const { options } = state;

    const sha = options.lfsSha256 && entry.lfs ? { ETag: `"${entry.sha256}"` } : { ETag: `"${createHash('sha1').update(file).digest('hex')}"` };
    if (!cdn && entry.lfs && options.redirect) {
      return send(302, {
        Location: `/cdn/${repoId}/${revision}/${encodeURI(file)}`, 'Content-Length': 0, 'X-Repo-Commit': 'a'.repeat(40),
        ...(options.lfsSha256 ? { 'X-Linked-Etag': `"${entry.sha256}"`, 'X-Linked-Size': String(entry.size) } : {}),
      });
    }

    let range = options.range ? parseRange(request.headers.range, entry.size) : null;
    if (range === 'unsatisfiable') return send(416, { 'Content-Range': `bytes */${entry.size}`, 'Content-Length': 0 });
    const { start, end } = range ?? { start: 0, end: entry.size - 1 };
    let body = null;
    const headers = { 'Content-Type': 'application/octet-stream', 'Accept-Ranges': options.range ? 'bytes' : 'none', ...sha };
    const gzip = options.gzip && !range && /gzip/.test(request.headers['accept-encoding'] ?? '');
    if (gzip) {
      body = gzipSync(entry.bytes ?? await readFile(entry.path));
      headers['Content-Encoding'] = 'gzip';
      headers['Content-Length'] = body.length; // the compressed size, as real servers send it
    } else {
      headers['Content-Length'] = entry.size === 0 ? 0 : end - start + 1;
      if (range) headers['Content-Range'] = `bytes ${start}-${end}/${entry.size}`;
    }
    record.status = range ? 206 : 200;
    response.writeHead(record.status, { ...cors, ...headers });
    if (request.method === 'HEAD' || entry.size === 0) return response.end();

    // The body, chunk by chunk, so that it can be slowed, stalled or cut at a file offset.
    const at = (value) => (value === null ? Infinity : value <= 1 ? Math.floor(value * entry.size) : value);
    const throttled = options.throttled.test(file);
    const stallAt = throttled ? at(options.stallAt) : Infinity;
    const truncateAt = throttled ? at(options.truncateAt) : Infinity;
    const source = body ?? entry.bytes?.subarray(start, end + 1) ?? null;
    const stream = source ? null : createReadStream(entry.path, { start, end, highWaterMark: 1024 ** 2 });
    state.bodies++;
    state.maxConcurrentBodies = Math.max(state.maxConcurrentBodies, state.bodies);
    response.on('close', () => { state.bodies--; stream?.destroy(); });
    let offset = gzip ? 0 : start; // file offset of the next byte (for gzip: of the compressed body)
    const pace = async (bytes) => {
      if (options.bytesPerSecond) await new Promise((r) => setTimeout(r, (1000 * bytes) / options.bytesPerSecond));
    };
    const writeChunk = async (chunk) => {
      if (offset + chunk.length > truncateAt) {
        const keep = Math.max(0, truncateAt - offset);
        if (keep) response.write(chunk.subarray(0, keep));
        await new Promise((r) => setTimeout(r, 20));
        response.socket?.destroy();
        return false;
      }
      if (offset + chunk.length > stallAt) {
        const keep = Math.max(0, stallAt - offset);
        if (keep) response.write(chunk.subarray(0, keep));
        return false; // never ends: the client has to give up (abort)
      }
      offset += chunk.length;
      if (!response.write(chunk)) await new Promise((r) => response.once('drain', r));
      await pace(chunk.length);
      return !response.destroyed;
    };
    try {
      if (source) {
        for (let i = 0; i < source.length; i += options.chunkBytes) {
          if (!(await writeChunk(source.subarray(i, i + options.chunkBytes)))) return;
        }
      } else {
        for await (const chunk of stream) {
          for (let i = 0; i < chunk.length; i += options.chunkBytes) {
            if (!(await writeChunk(chunk.subarray(i, i + options.chunkBytes)))) return;
          }
        }
      }
      response.end();
    } catch {
      response.destroy();
    }
  });
  server.on('connection', (socket) => {
    state.sockets.add(socket);
    socket.on('close', () => state.sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, host, resolve));
  const url = `http://${host}:${server.address().port}/`;

  return {
    url,
    get options() { return state.options; },
    get requests() { return state.requests; },
    get maxConcurrentBodies() { return state.maxConcurrentBodies; },
    /** Files are Uint8Arrays or { path } (served from disk, for big ones); *.safetensors are LFS files. */
    async addRepo(id, files, { revision = 'main' } = {}) {
      if (!repos.has(id)) repos.set(id, new Map());
      const entries = new Map();
      for (const [name, value] of Object.entries(files)) {
        const entry = value instanceof Uint8Array ? { bytes: value, size: value.length } : { path: value.path, size: (await stat(value.path)).size };
        entry.lfs = name.endsWith('.safetensors');
        entry.sha256 = entry.lfs ? await sha256OfFile(entry) : null;
        entries.set(name, entry);
      }
      repos.get(id).set(revision, entries);
    },
    /** Default options, an empty request log. */
    reset() {
      state.options = { ...DEFAULT_OPTIONS };
      state.requests = [];
      state.maxConcurrentBodies = 0;
      for (const socket of state.busySockets) socket.destroy();
    },
    close() {
      for (const socket of state.sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Splits a safetensors file into `count` shards + the index (as transformers' save_pretrained does). */
export function splitSafetensors(bytes, count) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const { __metadata__: metadata, ...tensors } = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  const data = bytes.subarray(8 + n);
  const names = Object.keys(tensors).sort((a, b) => tensors[a].data_offsets[0] - tensors[b].data_offsets[0]);
  const per = Math.ceil(names.length / count);
  const files = {};
  const weightMap = {};
  for (let s = 0; s < count; s++) {
    const file = `model-${String(s + 1).padStart(5, '0')}-of-${String(count).padStart(5, '0')}.safetensors`;
    const header = metadata ? { __metadata__: metadata } : {};
    const parts = [];
    let offset = 0;
    for (const name of names.slice(s * per, (s + 1) * per)) {
      const [begin, end] = tensors[name].data_offsets;
      header[name] = { ...tensors[name], data_offsets: [offset, offset + end - begin] };
      parts.push(data.subarray(begin, end));
      offset += end - begin;
      weightMap[name] = file;
    }
    const headerBytes = new TextEncoder().encode(JSON.stringify(header));
    const out = new Uint8Array(8 + headerBytes.length + offset);
    new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
    out.set(headerBytes, 8);
    let at = 8 + headerBytes.length;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    files[file] = out;
  }
  const total = Object.values(files).reduce((sum, f) => sum + f.length, 0);
  files['model.safetensors.index.json'] = new TextEncoder().encode(JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2));
  return files;
}

/** A safetensors header describing ~5 GB of f32 weights (20 × 256 MiB), with no data after it. */
export function hugeHeaderOnly() {
  const header = {};
  for (let i = 0, offset = 0; i < 20; i++, offset += 256 * 1024 ** 2) {
    header[`model.layers.${i}.mlp.up_proj.weight`] = { dtype: 'F32', shape: [8192, 8192], data_offsets: [offset, offset + 256 * 1024 ** 2] };
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}
