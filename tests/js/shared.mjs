// Helpers shared by the JS test files: where the repository and ../shared are, and the
// js-processor-era Winlogbeat fixtures as NDJSON.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The shared test inputs (EQLITE_SHARED, else ../shared beside the repository). When they are
 * missing: with CI=true that is an error (CI must never silently skip); otherwise returns
 * { skip: reason } so the test can skip saying why.
 */
export function sharedDir() {
  const dir = process.env.EQLITE_SHARED ?? join(repoRoot, '..', 'shared');
  if (existsSync(join(dir, 'fixtures'))) return { dir };
  const reason = `shared test inputs not found at ${dir} (set EQLITE_SHARED or put shared/ beside the repository)`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${reason}`);
  return { skip: reason };
}

/**
 * The five js-processor-era golden files (events 4698-4702, each file a JSON array), as one NDJSON
 * text in file-name order -- the order an analyst would paste them in (not timestamp order).
 */
export function jsProcessorEraNdjson(dir) {
  const folder = join(dir, 'fixtures', 'winlogbeat', 'js-processor-era');
  const files = readdirSync(folder).filter((f) => f.endsWith('.json')).sort();
  const lines = [];
  for (const file of files) {
    const records = JSON.parse(readFileSync(join(folder, file), 'utf8'));
    for (const record of Array.isArray(records) ? records : [records]) lines.push(JSON.stringify(record));
  }
  return { files, ndjson: lines.join('\n') + '\n', count: lines.length };
}

/**
 * `npm pack` of pkg/ installed offline into a fresh scratch project, as a user gets it. Returns
 * { dir, nodeModule, streamModule, bin, cleanup }: file URLs of the installed entry points (for
 * `import()`) and the installed `eqlite` bin script.
 */
export async function installPacked(prefix = 'eqlite-packed-') {
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { pathToFileURL } = await import('node:url');
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', dir, join(repoRoot, 'pkg')], { encoding: 'utf8' }),
  );
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'scratch', private: true }));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', join(dir, packed[0].filename)], { cwd: dir, stdio: 'pipe' });
  const installed = join(dir, 'node_modules', 'eqlite');
  return {
    dir,
    nodeModule: pathToFileURL(join(installed, 'node.js')).href,
    streamModule: pathToFileURL(join(installed, 'stream.js')).href,
    bin: join(installed, 'bin', 'eqlite.js'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The native binary built by `cargo test` / `cargo build` (debug), which `make test` builds first. */
export function nativeBinary() {
  const path = join(repoRoot, 'target', 'debug', 'eqlite');
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`cargo build --bin eqlite\` (make test builds it in the native layer)`);
  return path;
}
