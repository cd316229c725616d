// A static file server for the demo pages and the browser tests (`npm start`): serves the repo
// root over HTTP on 127.0.0.1, cross-origin isolated (COOP/COEP, so pages may use
// SharedArrayBuffer threads), with HTTP Range requests (what a loader uses to read a
// safetensors header before the weights). Node's http module only; no dependencies.
//
//   node tools/serve.mjs [--port N] [--no-isolation]     (PORT=N works too; --port 0 picks a free port)
//   npm start -- --port N      PORT=N npm start          (npm start builds first, then runs this)
//
// In-process (tests):
//   const server = await startServer({ port: 0 });  // { url: 'http://127.0.0.1:41234/', close() }
//   await server.close();
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.npy': 'application/octet-stream',
  '.safetensors': 'application/octet-stream',
  '.model': 'application/octet-stream',
};

/** Headers that make a page cross-origin isolated (and let same-origin pages embed our files). */
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * Parses a Range header against a file of `size` bytes: { start, end } (inclusive), 'unsatisfiable',
 * or null to ignore it and send the whole file (absent, malformed or several ranges; RFC 9110
 * lets a server ignore Range).
 */
export function parseRange(header, size) {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return null;
  let start, end;
  if (match[1] === '') { // suffix: the last N bytes
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
    if (match[2] !== '' && Number(match[2]) < start) return null; // invalid range: ignore
  }
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

/** Maps a URL path to a file under `root`, or null when it would leave the root. */
async function resolveInside(root, urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const path = resolve(root, `.${decoded}`);
  if (path !== root && !path.startsWith(root + sep)) return null;
  // Symlinks may point elsewhere: check where the path really leads (when it exists).
  try {
    const real = await realpath(path);
    if (real !== root && !real.startsWith(root + sep)) return null;
  } catch {
    // Missing: the caller answers 404.
  }
  return path;
}

/**
 * Starts the server.
 *
 * @param {{ root?: string, port?: number, host?: string, isolation?: boolean, log?: (line: string) => void }} [options]
 *   root: folder to serve (the repo root by default); port: 0 picks a free one (default 8080);
 *   host: 127.0.0.1 by default; isolation: send COOP/COEP/CORP (default true); log: one line per request
 * @returns {Promise<{ url: string, port: number, close(): Promise<void> }>} url ends with '/'
 */
export async function startServer({ root = REPO_ROOT, port = 8080, host = '127.0.0.1', isolation = true, log } = {}) {
  const rootPath = await realpath(resolve(root));
  const baseHeaders = isolation ? ISOLATION_HEADERS : {};

  const server = createServer(async (request, response) => {
    const send = (status, headers = {}, body = '') => {
      response.writeHead(status, { ...baseHeaders, ...headers });
      response.end(request.method === 'HEAD' ? undefined : body);
    };
    const sendText = (status, text, headers = {}) => send(status, {
      'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers,
    }, text);
    response.on('finish', () => log?.(`${request.method} ${request.url} ${response.statusCode}`));

    try {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return sendText(405, 'method not allowed\n', { Allow: 'GET, HEAD' });
      }
      const url = new URL(request.url, 'http://localhost');
      if (url.pathname === '/') return send(302, { Location: `/web/${url.search}`, 'Content-Length': 0 });

      const path = await resolveInside(rootPath, url.pathname);
      if (!path) return sendText(403, 'forbidden: outside the served folder\n');
      let info;
      try {
        info = await stat(path);
      } catch {
        return sendText(404, `not found: ${url.pathname}\n`);
      }
      let file = path;
      if (info.isDirectory()) {
        if (!url.pathname.endsWith('/')) return send(301, { Location: `${url.pathname}/${url.search}`, 'Content-Length': 0 });
        file = resolve(path, 'index.html');
        try {
          info = await stat(file);
        } catch {
          return sendText(404, `not found: ${url.pathname}index.html (no directory listings)\n`);
        }
      }
      if (!info.isFile()) return sendText(404, `not found: ${url.pathname}\n`);

      const headers = {
        'Content-Type': MIME_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
        'Accept-Ranges': 'bytes',
        'Last-Modified': info.mtime.toUTCString(),
        'Cache-Control': 'no-cache', // a development server: always revalidate after a rebuild
      };
      const range = parseRange(request.headers.range, info.size);
      if (range === 'unsatisfiable') {
        return sendText(416, 'range not satisfiable\n', { 'Content-Range': `bytes */${info.size}` });
      }
      const { start, end } = range ?? { start: 0, end: info.size - 1 };
      const length = info.size === 0 ? 0 : end - start + 1;
      response.writeHead(range ? 206 : 200, {
        ...baseHeaders,
        ...headers,
        'Content-Length': length,
        ...(range ? { 'Content-Range': `bytes ${start}-${end}/${info.size}` } : {}),
      });
      if (request.method === 'HEAD' || length === 0) return response.end();
      const stream = createReadStream(file, { start, end });
      stream.on('error', () => response.destroy());
      stream.pipe(response);
    } catch (error) {
      if (!response.headersSent) sendText(500, `server error: ${error.message}\n`);
      else response.destroy();
    }
  });

  await new Promise((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(port, host, () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  });
  const actualPort = server.address().port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${actualPort}/`,
    port: actualPort,
    close: () => new Promise((resolveClose) => {
      server.close(() => resolveClose());
      server.closeAllConnections();
    }),
  };
}

function parseArgs(argv) {
  let portText = process.env.PORT;
  let portFrom = 'PORT';
  let isolation = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--port' || arg.startsWith('--port=')) {
      portText = arg === '--port' ? argv[++i] ?? '' : arg.slice('--port='.length);
      portFrom = '--port';
    } else if (arg === '--no-isolation') {
      isolation = false;
    } else if (arg === '--help' || arg === '-h') {
      console.log('usage: node tools/serve.mjs [--port N] [--no-isolation]   (PORT=N also works; 0 picks a free port)');
      process.exit(0);
    } else {
      throw new Error(`serve: unknown argument '${arg}' (try --help)`);
    }
  }
  const port = portText === undefined ? 8080 : /^\d+$/.test(portText) ? Number(portText) : NaN;
  if (!(port <= 65535)) throw new Error(`serve: ${portFrom} must be a whole number from 0 to 65535 (0 picks any free port), got '${portText}'`);
  return { port, isolation };
}

/** What to do about a port that cannot be opened, with both ways of choosing another. */
function portAdvice(error, port) {
  const pick = `pick another: npm start -- --port ${port + 1} (or node tools/serve.mjs --port ${port + 1}), PORT=${port + 1} npm start, or --port 0 for any free port`;
  if (error.code === 'EADDRINUSE') return `serve: port ${port} is already in use (another npm start, or another program); ${pick}`;
  if (error.code === 'EACCES') return `serve: port ${port} needs more privileges than this user has (ports below 1024 usually do); ${pick}`;
  return null;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
    const { url } = await startServer(options);
    console.log(`wax demo: ${url}web/${options.isolation ? '' : '  (not cross-origin isolated)'}`);
  } catch (error) {
    console.error(portAdvice(error, options?.port) ?? (error.message.startsWith('serve:') ? error.message : `serve: ${error.message}`));
    process.exit(1);
  }
}
