// The detail view of one match: both events side by side, the task's definition as the engine
// decoded it from TaskContent (src/input/taskxml.rs, shaped like winlog.scheduled_task), where
// each event came from, and each event's raw JSON. All values are the engine's, shown as text.
import { h } from './dom.js';

function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== '').flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function eventCard(title, facts_, event) {
  if (facts_.missing) return h('section', { class: 'event-card' }, h('h4', {}, title), h('p', { class: 'muted' }, 'missing event'));
  return h(
    'section',
    { class: 'event-card', 'aria-label': title },
    h('h4', {}, title),
    facts([
      ['time', facts_.timestamp],
      ['action', facts_.action],
      ['event code', facts_.code],
      ['host', facts_.host],
      ['user', facts_.user],
      ['logon id', facts_.logon_id],
      ['record id', facts_.record_id],
      ['from', facts_.location],
    ]),
    h('details', { class: 'raw' }, h('summary', {}, 'Raw JSON'), h('pre', { class: 'json' }, JSON.stringify(event?._source ?? {}, null, 2))),
  );
}

const scalar = (v) => (v === undefined || v === null ? undefined : String(v));

function trigger(t) {
  const rep = t.repetition ?? {};
  return [
    t.type,
    t.start_boundary && `from ${t.start_boundary}`,
    t.end_boundary && `until ${t.end_boundary}`,
    rep.interval && `every ${rep.interval}${rep.duration ? ` for ${rep.duration}` : ''}`,
    t.delay && `delay ${t.delay}`,
    t.user_id && `for ${t.user_id}`,
    scalar(t.enabled) === 'false' && '(disabled)',
  ]
    .filter(Boolean)
    .join(' ');
}

function taskAction(view) {
  const task = view.scheduled_task;
  const xml = view.task_content;
  const box = h('section', { class: 'task-action', 'aria-label': 'What the task runs' }, h('h4', {}, 'What the task runs'));
  if (!task) {
    box.append(h('p', { class: 'muted' }, xml ? 'TaskContent is not a readable task definition; the raw text is shown below.' : 'No task definition in these events.'));
    if (xml) box.append(h('pre', { class: 'json' }, xml));
    return box;
  }
  const def = task.definition;
  const actions = def.actions ?? [];
  box.append(facts([['command line', task.command ? h('code', { class: 'command' }, task.command) : undefined]]));
  for (const a of actions) {
    box.append(
      facts([
        ['action', a.type],
        ['command', a.command],
        ['arguments', a.arguments],
        ['working directory', a.working_directory],
        ['class id', a.class_id],
        ['data', a.data],
        ['runs as', a.context],
      ]),
    );
  }
  if (!actions.length) box.append(h('p', { class: 'muted' }, 'The task definition has no actions.'));
  const pr = def.principals?.[0] ?? {};
  const settings = def.settings ?? {};
  const triggers = def.triggers ?? [];
  box.append(
    facts([
      ['uri', def.uri],
      ['author', def.author],
      ['description', def.description],
      ['principal', pr.user?.identifier ?? pr.group?.identifier],
      ['logon type', pr.logon?.type],
      ['run level', pr.run_level],
      ['enabled', scalar(settings.enabled)],
      ['hidden', scalar(settings.hidden)],
      ['triggers', triggers.length ? h('ul', {}, triggers.map((t) => h('li', {}, trigger(t)))) : 'none'],
    ]),
  );
  if (xml) box.append(h('details', { class: 'raw' }, h('summary', {}, 'Task XML'), h('pre', { class: 'json' }, xml)));
  return box;
}

/** Fills `root` with the details of `row` (a results.js row), or a hint when none is selected. */
export function renderDetail(root, row, { onExclude } = {}) {
  if (!row) {
    root.replaceChildren(h('p', { class: 'muted' }, 'Select a match (click a row or a span on the timeline) to see both events, the task’s command and the raw records.'));
    return;
  }
  const events = row.result.events ?? [];
  const exclude = (field, value, what) =>
    value && h('button', { type: 'button', class: 'exclude-text', onclick: () => onExclude?.(field, value, row) }, `Exclude ${what} ${value}`);
  const last = row.events.length - 1;
  root.replaceChildren(
    h('h3', {}, row.task || '(no task name)', ' on ', row.host || '(no host)'),
    h('p', { class: 'muted' }, `by ${row.user || '(unknown user)'}`, row.gap ? `, deleted ${row.gap} later` : '', ' · ', row.locations.join(' → ')),
    h('div', { class: 'controls' }, row.users.map((u) => exclude('user.name', u, 'user')), exclude('winlog.event_data.TaskName', row.task, 'task')),
    taskAction(row),
    h('div', { class: 'side-by-side' }, row.events.map((facts_, i) => eventCard(i === 0 ? 'Created' : i === last ? 'Deleted' : `Event ${i + 1}`, facts_, events[i]))),
  );
}
