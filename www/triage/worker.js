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
/** Bytes read from a File per push (4 MiB: reading a File is about as slow as the engine, so the
 * next slice is read while the engine works on this one; larger slices read faster). */
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
  } catch (error) {
    post({ type: 'fatal', error: errorInfo(error) });
  }
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
        // Slices of FILE_CHUNK, the next one read while the engine works on this one (a File's
        // stream() hands out 64 KiB pieces, and each push has its own cost).
        const file = input.file;
        const read = (at) => {
          const pending = file.slice(at, at + FILE_CHUNK).arrayBuffer();
          pending.catch(() => {}); // awaited below; a cancelled run may never await it
          return pending;
        };
        let next = file.size > 0 ? read(0) : null;
        for (let at = 0; next && !cancelled.has(runId); at += FILE_CHUNK) {
          let chunk;
          try {
            chunk = new Uint8Array(await next);
          } catch (error) {
            // The browser could not read the file (moved, permissions): the engine records it
            // like any unreadable input, and the other files go on.
            c.inputFailed(name, errorInfo(error).message);
            break;
          }
          next = at + FILE_CHUNK < file.size ? read(at + FILE_CHUNK) : null;
          bytes += chunk.byteLength;
          send(c.push(chunk));
          progress(name);
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
    post({
      type: 'done',
      runId,
      summary: end.summary,
      warnings: c.warnings(),
      // What Kibana's detection engine would have alerted: the rule's schedule as it is, and
      // spread over ten phases (which matches depend on when the runs happen to fall).
      schedule: { at: c.simulate()[0], phases: c.simulate({ phases: 10 }).map(({ alerts, runs, ...rest }) => rest) },
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
