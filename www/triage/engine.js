// The page's side of the engine worker: one long-lived Worker (so the wasm is fetched once),
// request/response for validation, rule files and exception lists (each answered by the engine:
// {ok, value} or {ok: false, error}), and runs reported through callbacks.

export class Engine {
  constructor(workerUrl = new URL('./worker.js', import.meta.url)) {
    this.worker = new Worker(workerUrl, { type: 'module' });
    this.pending = new Map();
    this.runs = new Map();
    this.nextId = 1;
    this.ready = new Promise((resolve, reject) => {
      this.onReady = resolve;
      this.onFatal = reject;
    });
    this.worker.addEventListener('message', ({ data }) => this.receive(data));
    this.worker.addEventListener('error', (event) => {
      event.preventDefault();
      this.onFatal(new Error(event.message || 'the engine worker failed to start'));
    });
    this.worker.postMessage({ type: 'init' });
  }

  receive(data) {
    if (data.type === 'ready') return this.onReady(data);
    if (data.type === 'fatal') return this.onFatal(Object.assign(new Error(data.error.message), data.error));
    if (data.type === 'validated' || data.type === 'rule' || data.type === 'exceptions') {
      const resolve = this.pending.get(data.id);
      this.pending.delete(data.id);
      return resolve?.(data);
    }
    const handlers = this.runs.get(data.runId);
    if (!handlers) return undefined;
    if (data.type === 'done') this.runs.delete(data.runId);
    return handlers[data.type]?.(data);
  }

  request(message) {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage({ ...message, id });
    });
  }

  /** Parses a query: {ok, value: info} or {ok: false, error: {message, line, column, start, end}}. */
  validate(query) {
    return this.request({ type: 'validate', query });
  }

  /** Reads a detection-rules TOML file: {ok, value: rule} or {ok: false, error}. */
  parseRule(toml) {
    return this.request({ type: 'rule', toml });
  }

  /** Reads exception items as the run will (Kibana JSON or NDJSON): {ok, value: [{item, text}]}
   *  or {ok: false, error} naming the bad item and entry. */
  parseExceptions(text) {
    return this.request({ type: 'exceptions', text });
  }

  /**
   * Starts a run. `rule` is {rule: id-or-toml} or {query}; `inputs` are {name, file} or
   * {name, text}; `handlers` get progress, results, messages and done messages.
   * Returns the run id (for cancel).
   */
  run({ rule, exceptions, inputs, explain }, handlers) {
    const runId = this.nextId++;
    this.runs.set(runId, handlers);
    this.worker.postMessage({ type: 'run', runId, rule, exceptions, inputs, explain });
    return runId;
  }

  cancel(runId) {
    this.worker.postMessage({ type: 'cancel', runId });
  }
}
