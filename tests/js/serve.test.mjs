// scripts/serve.js, the server behind `make serve`: MIME types (application/wasm above all), the
// two mounts, and that nothing outside www/ and pkg/ can be reached.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { repoRoot } from './shared.mjs';

let server;
let port;

before(async () => {
  server = spawn(process.execPath, [join(repoRoot, 'scripts', 'serve.js')], {
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  port = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/serving http:\/\/127\.0\.0\.1:(\d+)\//);
      if (m) resolve(Number(m[1]));
    });
    server.on('exit', (code) => reject(new Error(`serve.js exited with ${code}: ${out}`)));
  });
});

after(() => server?.kill('SIGTERM'));

/** A raw request (the path is sent as is, without URL normalisation). */
function get(path, method = 'GET') {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], location: res.headers.location, csp: res.headers['content-security-policy'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('serves the page at / and the package at /pkg/ with the right types', async () => {
  const page = await get('/');
  assert.equal(page.status, 200);
  assert.equal(page.type, 'text/html; charset=utf-8');
  // The worker script gets the policy too (a meta tag does not reach it).
  assert.match((await get('/triage/worker.js')).csp ?? '', /default-src 'none'.*connect-src 'self'/);
  assert.equal((await get('/main.js')).type, 'text/javascript; charset=utf-8');
  assert.equal((await get('/style.css')).type, 'text/css; charset=utf-8');
  assert.equal((await get('/pkg/browser.js')).type, 'text/javascript; charset=utf-8');
  const wasm = await get('/pkg/dist/eqlite_bg.wasm');
  assert.equal(wasm.status, 200);
  assert.equal(wasm.type, 'application/wasm');
  assert.equal((await get('/pkg')).location, '/pkg/');
});

test('nothing outside www/ and pkg/ is reachable', async () => {
  for (const path of ['/../Cargo.toml', '/%2e%2e/Cargo.toml', '/pkg/../../Cargo.toml', '/pkg/%2e%2e/%2e%2e/Cargo.toml', '/..%2fCargo.toml', '/%00']) {
    const { status } = await get(path);
    assert.ok(status === 404 || status === 400, `${path} gave ${status}`);
  }
  assert.equal((await get('/no-such-file.js')).status, 404);
  assert.equal((await get('/', 'POST')).status, 405);
});
