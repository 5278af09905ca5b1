// The engine's thread. The page never touches events: this worker streams each input (File.stream()
// chunks, or pasted text) into ONE eqlite Correlator per run -- sequences may span files -- telling
// it where each file starts so it can detect that file's format, and posts back only results,
// progress and problems. The wasm module is fetched and instantiated here, once.
//
// Messages in:  init | validate {id, query} | rule {id, toml} | run {runId, rule, exceptions, inputs}
//               | cancel {runId}
// Messages out: ready | fatal | validated | rule | progress | results | file-error | done

let api;
const cancelled = new Set();

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
    const rules = typeof api.builtinRules === 'function' ? api.builtinRules() : [];
    post({ type: 'ready', version: api.version?.(), rules, features: features() });
  } catch (error) {
    post({ type: 'fatal', error: errorInfo(error) });
  }
}

/** What this build of the facade offers, so the page can say what it cannot do. */
function features() {
  const proto = api.Correlator?.prototype ?? {};
  return {
    parseQuery: typeof api.parseQuery === 'function',
    parseRule: typeof api.parseRule === 'function',
    files: typeof proto.startFile === 'function' || typeof proto.beginFile === 'function',
    liveSummary: typeof proto.summary === 'function',
  };
}

function validate({ id, query }) {
  try {
    const info = api.parseQuery(query);
    post({ type: 'validated', id, ok: true, info });
  } catch (error) {
    post({ type: 'validated', id, ok: false, error: errorInfo(error) });
  }
}

function parseRule({ id, toml }) {
  try {
    if (typeof api.parseRule !== 'function') throw new Error('this eqlite build cannot read rule files (no parseRule)');
    post({ type: 'rule', id, ok: true, rule: api.parseRule(toml) });
  } catch (error) {
    post({ type: 'rule', id, ok: false, error: errorInfo(error) });
  }
}

/** Correlator options; `exceptions` is only sent when there are some. */
function correlatorOptions(rule, exceptions) {
  const options = rule.query !== undefined ? { query: rule.query } : { rule: rule.rule };
  // No reorder window: the rule's relevant events are held until the end, so files may come in
  // any order (exports are rarely sorted, and several files overlap in time). Only events that
  // can take part in a sequence are held, so memory follows them, not the input size.
  options.reorderWindow = null;
  if (exceptions) options.exceptions = exceptions;
  return options;
}

/** Creates the run's correlators: the one whose results are shown, and (only when exceptions are
 *  active) an exception-free baseline fed the same bytes, for honest "suppressed" counts. */
function makeCorrelators(rule, exceptions) {
  const main = { c: null, notice: null, exceptionsApplied: false };
  if (exceptions) {
    try {
      main.c = new api.Correlator(correlatorOptions(rule, exceptions));
      main.exceptionsApplied = true;
    } catch (error) {
      main.notice = `Exceptions were not applied: ${errorInfo(error).message}`;
    }
  }
  if (!main.c) main.c = new api.Correlator(correlatorOptions(rule, null));
  const baseline = main.exceptionsApplied ? new api.Correlator(correlatorOptions(rule, null)) : null;
  return { ...main, baseline };
}

function startFile(c, name) {
  if (typeof c.startFile === 'function') return c.startFile(name);
  if (typeof c.beginFile === 'function') return c.beginFile(name);
  return undefined;
}

function endFile(c) {
  if (typeof c.endFile === 'function') return c.endFile() ?? [];
  return [];
}

async function run({ runId, rule, exceptions, inputs }) {
  let run;
  try {
    run = makeCorrelators(rule, exceptions);
  } catch (error) {
    post({ type: 'done', runId, error: errorInfo(error) });
    return;
  }
  const total = inputs.reduce((sum, i) => sum + (i.file ? i.file.size : i.text.length), 0);
  const started = performance.now();
  let bytes = 0;
  let lastPost = 0;
  const fileErrors = [];
  const send = (results, baseline) => {
    if (results.length || baseline.length) post({ type: 'results', runId, results, baseline });
  };
  const progress = (file, force = false) => {
    const now = performance.now();
    if (!force && now - lastPost < 100) return;
    lastPost = now;
    let events;
    try {
      events = typeof run.c.summary === 'function' ? run.c.summary()?.events_seen : undefined;
    } catch {
      events = undefined;
    }
    post({ type: 'progress', runId, bytes, total, file, events, elapsedMs: now - started });
  };
  const both = (fn) => {
    const results = fn(run.c) ?? [];
    const baseline = run.baseline ? fn(run.baseline) ?? [] : [];
    send(results, baseline);
  };

  for (const input of inputs) {
    if (cancelled.has(runId)) break;
    const name = input.name;
    const before = bytes;
    try {
      both((c) => startFile(c, name));
      if (input.file) {
        const reader = input.file.stream().getReader();
        for (;;) {
          if (cancelled.has(runId)) {
            await reader.cancel();
            break;
          }
          const { done, value } = await reader.read();
          if (done) break;
          bytes += value.byteLength;
          both((c) => c.push(value));
          progress(name);
        }
      } else {
        const data = new TextEncoder().encode(input.text);
        for (let at = 0; at < data.length && !cancelled.has(runId); at += 1 << 20) {
          const chunk = data.subarray(at, at + (1 << 20));
          both((c) => c.push(chunk));
          bytes = before + Math.min(input.text.length, Math.round(((at + chunk.length) / data.length) * input.text.length));
          progress(name);
        }
      }
      both(endFile);
    } catch (error) {
      // One unreadable file must not cost the others: note it, close it, go on.
      fileErrors.push({ file: name, reason: errorInfo(error).message });
      post({ type: 'file-error', runId, file: name, reason: errorInfo(error).message });
      try {
        both(endFile);
      } catch {
        // the file was already closed by the failure
      }
    }
    bytes = before + (input.file ? input.file.size : input.text.length);
    progress(name, true);
  }

  if (cancelled.has(runId)) {
    cancelled.delete(runId);
    run.c.free?.();
    run.baseline?.free?.();
    post({ type: 'done', runId, cancelled: true, elapsedMs: performance.now() - started });
    return;
  }
  try {
    const end = run.c.finish();
    const baseEnd = run.baseline ? run.baseline.finish() : { results: [] };
    send(end.results ?? [], baseEnd.results ?? []);
    post({
      type: 'done',
      runId,
      summary: end.summary ?? {},
      fileErrors,
      exceptionsApplied: run.exceptionsApplied,
      notice: run.notice,
      elapsedMs: performance.now() - started,
      bytes,
    });
  } catch (error) {
    post({ type: 'done', runId, error: errorInfo(error) });
  } finally {
    run.c.free?.();
    run.baseline?.free?.();
  }
}

self.addEventListener('message', ({ data }) => {
  if (data.type === 'init') init();
  else if (data.type === 'validate') validate(data);
  else if (data.type === 'rule') parseRule(data);
  else if (data.type === 'run') run(data);
  else if (data.type === 'cancel') cancelled.add(data.runId);
});
