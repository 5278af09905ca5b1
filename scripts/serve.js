#!/usr/bin/env node
// A tiny static server for the page: www/ at /, the npm package pkg/ at /pkg/ (so www/main.js can
// import ../pkg/browser.js both here and under any server rooted at the repository).
// Binds 127.0.0.1 only. PORT (default 8080; 0 = any free port) is read from the environment.
// Serves .wasm as application/wasm: without it browsers refuse streaming compilation and
// wasm-bindgen falls back with a console warning (toolchain trap 9).
// Prints "eqlite: serving http://127.0.0.1:<port>/" once listening (tests read the port from it).
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The same policy as the pages' meta tag: nothing but this origin, no inline script. */
const CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; " +
  "connect-src 'self'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'";

const root = fileURLToPath(new URL('..', import.meta.url));
const mounts = [
  ['/pkg/', join(root, 'pkg')],
  ['/', join(root, 'www')],
];
const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.ndjson': 'application/x-ndjson; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ts': 'text/plain; charset=utf-8',
  '.cts': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** Maps a URL path to a file under one of the mounts, or null (never escapes a mount). */
function resolve(urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  for (const [prefix, dir] of mounts) {
    if (!decoded.startsWith(prefix)) continue;
    const file = normalize(join(dir, decoded.slice(prefix.length)));
    if (file !== dir && !file.startsWith(dir + sep)) return null;
    return file;
  }
  return null;
}

function send(res, status, text) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text + '\n');
}

const server = createServer((req, res) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed');
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (url.pathname === '/pkg') {
    res.writeHead(301, { Location: '/pkg/' });
    return res.end();
  }
  let file = resolve(url.pathname);
  if (file === null) return send(res, 400, 'bad path');
  let stat;
  try {
    stat = statSync(file);
    if (stat.isDirectory()) {
      file = join(file, 'index.html');
      stat = statSync(file);
    }
  } catch {
    return send(res, 404, `not found: ${url.pathname}`);
  }
  if (!stat.isFile()) return send(res, 404, `not found: ${url.pathname}`);
  res.writeHead(200, {
    'Content-Type': types[extname(file)] ?? 'application/octet-stream',
    'Content-Length': stat.size,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    // The pages' meta CSP does not reach the worker script: the header covers every response.
    'Content-Security-Policy': CSP,
  });
  if (req.method === 'HEAD') return res.end();
  createReadStream(file).pipe(res);
});

const port = Number.parseInt(process.env.PORT ?? '8080', 10);
server.listen(port, '127.0.0.1', () => {
  console.log(`eqlite: serving http://127.0.0.1:${server.address().port}/`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
