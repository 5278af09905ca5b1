#!/usr/bin/env node
// `npx eqlite`: the native CLI's common cases for hosts that have Node but no Rust toolchain.
// Same flags, same NDJSON output, same exit codes (0 ran, 1 unreadable input, 2 bad query or
// options). All the work happens in the engine; this file only moves bytes and prints lines.
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Correlator } from 'eqlite';

const USAGE = `eqlite (Node) - run Elastic EQL rules over exported events

Usage:
  eqlite run [--query EQL | --rule FILE.toml] [options] [FILE]...   (stdin when no FILE or '-')
  eqlite help

Options:
  --query EQL                 EQL query text (default: the built-in rule
                              "Temporarily Scheduled Task Creation")
  --rule FILE.toml            an Elastic detection-rules TOML file
  --format F                  input format (default auto)
  --timestamp-field F         default @timestamp
  --tiebreaker-field F        default none
  --event-category-field F    default event.category
  --size N                    keep at most N results
  --result-position head|tail which N results --size keeps (default tail)
  --reorder-window MS         how late (ms) an out-of-order event may arrive
  --stats                     print a summary on stderr

Output: one JSON object per result on stdout (NDJSON). Exit codes: 0 ran (matches or not),
1 some input unreadable, 2 bad query or options.
`;

const VALUE_FLAGS = {
  '--query': 'query',
  '--format': 'format',
  '--timestamp-field': 'timestampField',
  '--tiebreaker-field': 'tiebreakerField',
  '--event-category-field': 'eventCategoryField',
  '--result-position': 'resultPosition',
};
const NUMBER_FLAGS = { '--size': 'size', '--reorder-window': 'reorderWindow' };

class UsageError extends Error {}

function parseArgs(argv) {
  const options = {};
  const files = [];
  let ruleFile;
  let stats = false;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg];
    const value = () => {
      if (inline !== undefined) return inline;
      i += 1;
      if (i >= argv.length) throw new UsageError(`${flag} needs a value`);
      return argv[i];
    };
    if (flag in VALUE_FLAGS) options[VALUE_FLAGS[flag]] = value();
    else if (flag in NUMBER_FLAGS) {
      const text = value();
      if (!/^\d+$/.test(text)) throw new UsageError(`${flag} expects a whole number, got '${text}'`);
      options[NUMBER_FLAGS[flag]] = Number(text);
    } else if (flag === '--rule') ruleFile = value();
    else if (flag === '--stats') stats = true;
    else if (flag.startsWith('--')) throw new UsageError(`unknown option ${flag}`);
    else files.push(arg);
  }
  if (options.query !== undefined && ruleFile !== undefined) {
    throw new UsageError('--query and --rule cannot be used together');
  }
  return { options, files: files.length ? files : ['-'], ruleFile, stats };
}

async function run(argv) {
  const { options, files, ruleFile, stats } = parseArgs(argv);
  if (ruleFile !== undefined) options.rule = await readFile(ruleFile, 'utf8');
  const correlator = new Correlator(options);
  let unreadable = false;
  const emit = (results) => {
    for (const result of results) process.stdout.write(`${JSON.stringify(result)}\n`);
  };
  const reportInputErrors = () => {
    for (const inputError of correlator.takeInputErrors()) {
      unreadable = true;
      process.stderr.write(`eqlite: ${inputError.message}\n`);
    }
  };
  try {
    for (const file of files) {
      const name = file === '-' ? 'stdin' : file;
      const source = file === '-' ? process.stdin : createReadStream(file);
      correlator.beginFile(name);
      try {
        for await (const chunk of source) {
          emit(correlator.push(chunk));
          reportInputErrors();
        }
      } catch (error) {
        unreadable = true;
        process.stderr.write(`eqlite: cannot read ${name}: ${error.message}\n`);
      }
      correlator.endFile();
      reportInputErrors();
    }
    const { results, summary } = correlator.finish();
    emit(results);
    reportInputErrors();
    if (stats) process.stderr.write(`${JSON.stringify(summary, null, 2)}\n`);
  } finally {
    correlator.free();
  }
  return unreadable ? 1 : 0;
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command !== 'run') {
    process.stderr.write(`eqlite: unknown command '${command}'\n\n${USAGE}`);
    return 2;
  }
  try {
    return await run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`eqlite: ${error.message}\n`);
      return 2;
    }
    if (error && error.name === 'EqlError') {
      process.stderr.write(`${error.caret || error.message}\n`);
      return error.code === 'input' ? 1 : 2;
    }
    if (error && error.code === 'ENOENT') {
      process.stderr.write(`eqlite: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main();
