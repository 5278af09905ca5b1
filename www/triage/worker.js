// The engine's thread, a thin shell over eqlite's Correlator (the library's Session): it streams
// each input (File.stream() chunks, or pasted text) into ONE Correlator per run -- sequences may
// span files -- telling it where each file starts so it detects that file's format, and posts back
// only what the engine computed: results with their views, messages, the summary (with
// per-exception counts), and the CSV / text-table exports. No engine logic lives here.
//
// Messages in:  init | validate {id, query} | rule {id, toml} | exceptions {id, text}
//               | run {runId, rule, exceptions, inputs, explain} | cancel {runId}
// Messages out: ready | fatal | validated | rule | exceptions | progress | results | messages
//               | done {summary, warnings, csv, table, schedule, explanation} (or {error} / {cancelled})

let api;
const cancelled = new Set();
/** Bytes of a File gathered per push. */
const FILE_CHUNK = 4 << 20;

const post = (message) => self.postMessage(message);
const errorInfo = (error) => ({
  message: String(error?.message ?? error),
  code: error?.code,
  line: error?.line,
  column: error?.column,
  start: error?.start,
  end: error?.end,
  caret: error?.caret,
});

async function init() {
  try {
    api = await import('../../pkg/browser.js');
    post({ type: 'ready', version: api.version(), rules: api.builtinRules() });
    setTimeout(warmUp, 0);
  } catch (error) {
    post({ type: 'fatal', error: errorInfo(error) });
  }
}

/**
 * Runs the engine once over a few MB of made-up Security events, right after start-up. V8
 * first runs WebAssembly in a quick baseline tier and optimises only the functions it finds
 * hot, so without this the analyst's first file spends much of its first second in baseline
 * code (measured: a first 100 MB run took 1.5x the second). The results are thrown away.
 */
function warmUp() {
  const message = 'An account was successfully logged on.\r\n\r\nSubject:\r\n\tSecurity ID:\t\tS-1-5-18\r\n'.repeat(30);
  const lines = [];
  for (let i = 0; i < 800; i += 1) {
    const task = i % 50 === 0;
    lines.push(JSON.stringify({
      '@timestamp': new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString(),
      event: { code: task ? '4698' : '4624', action: task ? 'scheduled-task-created' : 'logged-in', category: [task ? 'iam' : 'authentication'] },
      user: { name: `user${i % 7}` },
      message,
      winlog: { channel: 'Security', computer_name: `host${i % 5}`, event_id: task ? '4698' : '4624', event_data: { TaskName: `\\t${i % 3}`, LogonType: '3' } },
    }));
  }
  const bytes = new TextEncoder().encode(`${lines.join('\n')}\n`);
  const c = new api.Correlator({});
  // Twice over, in eighths with a turn of the event loop between them, so a message from the
  // page (a query to check, a run) is answered at once, not after the warm-up.
  const piece = Math.ceil(bytes.length / 8);
  let round = 0;
  const step = () => {
    try {
      if (round < 16) {
        const at = (round % 8) * piece;
        c.push(bytes.subarray(at, at + piece));
        round += 1;
        setTimeout(step, 0);
        return;
      }
      c.finish();
    } catch {
      // A warm-up that fails changes nothing: the real run reports its own errors.
    }
    c.free();
  };
  step();
}

/** Request/response helpers: one engine call each, its error passed on as data. */
function answer(type, id, call) {
  try {
    post({ type, id, ok: true, value: call() });
  } catch (error) {
    post({ type, id, ok: false, error: errorInfo(error) });
  }
}

/** Correlator options for a run: the rule or query, the exceptions, and the results' views. */
function correlatorOptions(rule, exceptions, explain) {
  const options = rule.query !== undefined ? { query: rule.query } : { rule: rule.rule };
  if (rule.mapping) options.mapping = rule.mapping;
  // The engine's default: the exact batch answer whatever the input order, holding only the
  // events some stage can use (memory follows them, not the input size).
  options.views = true;
  // Keep the candidate events, so the run can also replay Kibana's schedule (simulate()).
  options.simulate = true;
  // Near misses and coverage need every record parsed (no pre-filter): the page asks for them
  // on inputs of moderate size, or when the user asks.
  if (explain) options.explain = true;
  if (exceptions) options.exceptions = exceptions;
  return options;
}

async function run({ runId, rule, exceptions, inputs, explain }) {
  let c;
  try {
    c = new api.Correlator(correlatorOptions(rule, exceptions, explain));
  } catch (error) {
    post({ type: 'done', runId, error: errorInfo(error) });
    return;
  }
  const total = inputs.reduce((sum, i) => sum + (i.file ? i.file.size : i.text.length), 0);
  const started = performance.now();
  let bytes = 0;
  let lastPost = 0;
  const send = (results) => {
    if (results.length) post({ type: 'results', runId, results });
    const messages = c.takeMessages();
    if (messages.length) post({ type: 'messages', runId, messages });
  };
  const progress = (file, force = false) => {
    const now = performance.now();
    if (!force && now - lastPost < 100) return;
    lastPost = now;
    post({ type: 'progress', runId, bytes, total, file, records: c.summary().records_read, elapsedMs: now - started });
  };

  try {
    for (const input of inputs) {
      if (cancelled.has(runId)) break;
      const name = input.name;
      const before = bytes;
      send(c.startFile(name));
      if (input.file) {
        // The File's stream (the fastest way Chromium reads a File: about 250-330 MB/s here,
        // which bounds the page), its 64 KiB pieces gathered into FILE_CHUNK pushes, since each
        // push has its own cost.
        const reader = input.file.stream().getReader();
        const batch = new Uint8Array(FILE_CHUNK);
        let filled = 0;
        const flush = () => {
          if (!filled) return;
          send(c.push(batch.subarray(0, filled)));
          filled = 0;
          progress(name);
        };
        for (;;) {
          if (cancelled.has(runId)) {
            await reader.cancel();
            break;
          }
          let chunk;
          try {
            chunk = await reader.read();
          } catch (error) {
            // The browser could not read the file (moved, permissions): the engine records it
            // like any unreadable input (after what was read), and the other files go on.
            flush();
            c.inputFailed(name, errorInfo(error).message);
            break;
          }
          if (chunk.done) {
            flush();
            break;
          }
          const piece = chunk.value;
          bytes += piece.byteLength;
          if (filled + piece.byteLength > batch.length) flush();
          if (piece.byteLength > batch.length) {
            send(c.push(piece));
            progress(name);
          } else {
            batch.set(piece, filled);
            filled += piece.byteLength;
          }
        }
      } else {
        const data = new TextEncoder().encode(input.text);
        for (let at = 0; at < data.length && !cancelled.has(runId); at += 1 << 20) {
          const chunk = data.subarray(at, at + (1 << 20));
          send(c.push(chunk));
          bytes = before + Math.round(((at + chunk.length) / data.length) * input.text.length);
          progress(name);
        }
      }
      send(c.endFile());
      bytes = before + (input.file ? input.file.size : input.text.length);
      progress(name, true);
    }
    if (cancelled.has(runId)) {
      cancelled.delete(runId);
      post({ type: 'done', runId, cancelled: true, elapsedMs: performance.now() - started });
      return;
    }
    const end = c.finish();
    send(end.results);
    // Ten phases spread over one interval; the first (offset 0) is the schedule as it is.
    const phases = c.simulate({ phases: 10 });
    post({
      type: 'done',
      runId,
      summary: end.summary,
      warnings: c.warnings(),
      // What Kibana's detection engine would have alerted: the rule's schedule as it is, and
      // spread over ten phases (which matches depend on when the runs happen to fall).
      schedule: { at: phases[0], phases: phases.map(({ alerts, runs, ...rest }) => rest) },
      explanation: explain ? c.explain() : null,
      csv: c.exportCsv(),
      table: c.exportTable(),
      elapsedMs: performance.now() - started,
      bytes,
    });
  } catch (error) {
    // A budget error (for example maxCandidates) or a bad option: the run stops and says why.
    post({ type: 'done', runId, error: errorInfo(error) });
  } finally {
    c.free();
  }
}

self.addEventListener('message', ({ data }) => {
  if (data.type === 'init') init();
  else if (data.type === 'validate') answer('validated', data.id, () => api.parseQuery(data.query));
  else if (data.type === 'rule') answer('rule', data.id, () => api.parseRule(data.toml));
  else if (data.type === 'exceptions') answer('exceptions', data.id, () => api.parseExceptions(data.text));
  else if (data.type === 'run') run(data);
  else if (data.type === 'cancel') cancelled.add(data.runId);
});
