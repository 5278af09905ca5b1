// Deterministic winlogbeat-shaped Security events for order tests: logon noise plus
// scheduled-task creates and deletes on 20 hosts and 4 task names, one event every ~37 ms, so
// many create/delete pairs fall within the rule's 5 minutes. The shape follows the bench
// generator (benches/correlate.rs).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** mulberry32: a small seeded PRNG, so every run generates the same events. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` events in ascending time order, as NDJSON lines (no trailing newline each). */
export function generate(count, seed = 42) {
  const random = prng(seed);
  const start = Date.UTC(2024, 4, 1, 8);
  const lines = [];
  for (let i = 0; i < count; i += 1) {
    const ms = start + i * 37 + Math.floor(random() * 30);
    const host = `WS${String(Math.floor(random() * 20)).padStart(3, '0')}.corp.example`;
    const roll = random();
    const [code, action, category] =
      roll < 0.012 ? [4698, 'scheduled-task-created', ['iam', 'configuration']]
        : roll < 0.024 ? [4699, 'scheduled-task-deleted', ['iam', 'configuration']]
          : roll < 0.03 ? [4702, 'scheduled-task-updated', ['iam', 'configuration']]
            : [4624, 'logged-in', ['authentication']];
    const user = random() < 0.1 ? `${host.split('.')[0]}$` : `user${Math.floor(random() * 97)}`;
    const task = `\\Task${Math.floor(random() * 4)}`;
    lines.push(JSON.stringify({
      '@timestamp': new Date(ms).toISOString(),
      agent: { type: 'winlogbeat', version: '8.14.0' },
      event: { action, category, code: String(code), kind: 'event', module: 'security', provider: 'Microsoft-Windows-Security-Auditing' },
      host: { name: host },
      user: { domain: 'CORP', name: user },
      winlog: {
        channel: 'Security',
        computer_name: host,
        event_id: String(code),
        record_id: String(i + 1),
        event_data: code === 4624 ? { TargetUserName: user, LogonType: '3' } : { TaskName: task, SubjectUserName: user },
      },
    }));
  }
  return lines;
}

/** A result as an order-free key: join keys and the record ids of its events. */
export function resultKey(result) {
  const ids = result.events.map((e) => (e.missing ? 'missing' : e._source?.winlog?.record_id));
  return JSON.stringify([result.join_keys, ids]);
}

/**
 * Writes `count` generated events under `dir` in the four orders of the order tests and returns
 * their paths: `ascending`, `descending`, `shuffled` (one file each), `split` (four files of
 * consecutive time ranges, named so that path order is newest first, in path order) and
 * `splitDir` (their directory).
 */
export function writeOrders(dir, count) {
  const ascending = generate(count);
  const random = prng(7);
  const shuffled = ascending.slice();
  for (let i = shuffled.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  const write = (name, lines) => {
    const path = join(dir, name);
    writeFileSync(path, `${lines.join('\n')}\n`);
    return path;
  };
  const inputs = {
    ascending: [write('ascending.ndjson', ascending)],
    descending: [write('descending.ndjson', ascending.slice().reverse())],
    shuffled: [write('shuffled.ndjson', shuffled)],
    split: [],
    splitDir: join(dir, 'split'),
  };
  mkdirSync(inputs.splitDir);
  const quarter = count / 4;
  for (let part = 0; part < 4; part += 1) {
    inputs.split.push(write(join('split', `part-${3 - part}.ndjson`), ascending.slice(part * quarter, (part + 1) * quarter)));
  }
  inputs.split.sort();
  return inputs;
}

/**
 * Three create/delete pairs an hour apart (so every pair sits in the same phase of a 5-minute
 * schedule) with gaps of 1m, 4m30s and 5m, as NDJSON text: the schedule tests' input.
 */
export function scheduleGaps() {
  const t0 = Date.UTC(2024, 4, 1, 10);
  const event = (ms, action, host, task) =>
    JSON.stringify({
      '@timestamp': new Date(ms).toISOString(),
      event: { action, category: ['iam'] },
      user: { name: 'alice' },
      winlog: { computer_name: host, event_data: { TaskName: task } },
    });
  const lines = [];
  [[0, 60_000, 'H1', '\\a'], [3_600_000, 270_000, 'H2', '\\b'], [7_200_000, 300_000, 'H3', '\\c']].forEach(([at, gap, host, task]) => {
    lines.push(event(t0 + at, 'scheduled-task-created', host, task), event(t0 + at + gap, 'scheduled-task-deleted', host, task));
  });
  return `${lines.join('\n')}\n`;
}
