#!/usr/bin/env node
// `npx eqlite`: the native CLI for hosts that have Node but no Rust toolchain. The command line
// is parsed, run and rendered by the engine (the library's `cli` module through cliStart), so
// the subcommands, flags, output and exit codes are the native binary's. This file only lists
// input files, moves their bytes in and prints the text that comes back.
import { createReadStream, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cliStart } from 'eqlite';

const print = ({ stdout, stderr }) => {
  if (stderr) process.stderr.write(stderr);
  if (stdout) process.stdout.write(stdout);
};

/** A file, or every regular file under a directory: recursively, sorted by path (as native). */
function expand(path, out) {
  if (!statSync(path).isDirectory()) {
    out.push(path);
    return;
  }
  const entries = readdirSync(path)
    .map((name) => join(path, name))
    .sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))));
  for (const entry of entries) {
    const stat = statSync(entry);
    if (stat.isDirectory()) expand(entry, out);
    else if (stat.isFile()) out.push(entry);
  }
}

async function run(cli) {
  const inputs = [];
  for (const path of cli.inputs()) {
    if (path === '-') inputs.push('-');
    else {
      try {
        expand(path, inputs);
      } catch (error) {
        print(cli.inputFailed(path, error.message));
      }
    }
  }
  for (const input of inputs) {
    if (cli.isStopped()) break;
    const label = input === '-' ? 'stdin' : input;
    const source = input === '-' ? process.stdin : createReadStream(input, { highWaterMark: 1 << 16 });
    let opened = input === '-';
    try {
      if (!opened) {
        await new Promise((resolve, reject) => source.once('open', resolve).once('error', reject));
        opened = true;
      }
      print(cli.startFile(label));
      for await (const chunk of source) {
        print(cli.push(chunk));
        if (cli.isStopped()) break;
      }
    } catch (error) {
      print(cli.inputFailed(label, error.message));
      if (!opened) continue;
    }
    print(cli.endFile());
  }
  const end = cli.finish();
  print(end);
  return end.code;
}

async function main() {
  const readFile = (path) => readFileSync(path, 'utf8');
  const started = cliStart(process.argv.slice(2), readFile, Date.now());
  if (started.exit) {
    print(started.exit);
    return started.exit.code;
  }
  try {
    return await run(started.run);
  } finally {
    started.run.free();
  }
}

process.exitCode = await main();
