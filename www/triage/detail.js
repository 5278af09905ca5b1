// The detail view of one match: both events side by side, the task's action decoded from
// TaskContent, provenance, and each event's raw JSON. All values are text.
import { h } from './dom.js';
import { first, formatGap, where } from './fields.js';
import { decodeTaskContent, commandLine } from './taskxml.js';

const TASK_CONTENT = ['winlog.event_data.TaskContent', 'winlog.event_data.TaskContentNew', 'TaskContent'];

function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== '').flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function eventCard(title, event) {
  const src = event?._source ?? {};
  const p = event?._provenance ?? {};
  if (event?.missing) return h('section', { class: 'event-card' }, h('h4', {}, title), h('p', { class: 'muted' }, 'missing event'));
  return h(
    'section',
    { class: 'event-card', 'aria-label': title },
    h('h4', {}, title),
    facts([
      ['time', first(src, '@timestamp')],
      ['action', first(src, 'event.action')],
      ['event code', first(src, 'event.code') ?? first(src, 'winlog.event_id')],
      ['host', first(src, 'winlog.computer_name') ?? first(src, 'host.name')],
      ['user', [first(src, 'user.domain'), first(src, 'user.name')].filter(Boolean).join('\\') || undefined],
      ['logon id', first(src, 'winlog.event_data.SubjectLogonId')],
      ['record id', first(src, 'winlog.record_id')],
      ['file', p.file],
      ['line', p.line],
      ['record', p.record],
      ['offset', p.offset],
    ]),
    h('details', { class: 'raw' }, h('summary', {}, 'Raw JSON'), h('pre', { class: 'json' }, JSON.stringify(src, null, 2))),
  );
}

function taskAction(events) {
  const xml = events.map((e) => TASK_CONTENT.map((f) => first(e?._source, f)).find(Boolean)).find(Boolean);
  const task = decodeTaskContent(xml);
  const box = h('section', { class: 'task-action', 'aria-label': 'What the task runs' }, h('h4', {}, 'What the task runs'));
  if (task.error) {
    box.append(h('p', { class: 'muted' }, task.error));
    if (xml) box.append(h('pre', { class: 'json' }, xml));
    return box;
  }
  for (const action of task.actions) {
    if (action.kind === 'Exec') {
      box.append(
        facts([
          ['command line', h('code', { class: 'command' }, commandLine(action))],
          ['command', action.command],
          ['arguments', action.arguments],
          ['working directory', action.workingDirectory],
        ]),
      );
    } else {
      box.append(facts([['action', action.kind], ['class id', action.classId], ['data', action.data], ['to', action.to], ['subject', action.subject]]));
    }
  }
  if (!task.actions.length) box.append(h('p', { class: 'muted' }, 'The task definition has no actions.'));
  const pr = task.principal ?? {};
  box.append(
    facts([
      ['author', task.author],
      ['registered', task.registered],
      ['description', task.description],
      ['principal', pr.userId ?? pr.groupId],
      ['logon type', pr.logonType],
      ['run level', pr.runLevel],
      ['hidden', task.hidden],
      [
        'triggers',
        task.triggers.length
          ? h('ul', {}, task.triggers.map((t) => h('li', {}, [t.kind, t.start && `from ${t.start}`, t.end && `until ${t.end}`, t.repetition, t.delay && `delay ${t.delay}`, t.user && `for ${t.user}`, t.enabled === 'false' && '(disabled)'].filter(Boolean).join(' '))))
          : 'none',
      ],
    ]),
    h('details', { class: 'raw' }, h('summary', {}, 'Task XML'), h('pre', { class: 'json' }, xml)),
  );
  return box;
}

/** Fills `root` with the details of `row` (from describeMatch), or a hint when none is selected. */
export function renderDetail(root, row, { onExclude } = {}) {
  if (!row) {
    root.replaceChildren(h('p', { class: 'muted' }, 'Select a match (click a row or a span on the timeline) to see both events, the task’s command and the raw records.'));
    return;
  }
  const events = row.result.events ?? [];
  const exclude = (field, value, what) =>
    value && h('button', { type: 'button', class: 'exclude-text', onclick: () => onExclude?.(field, value, row) }, `Exclude this ${what}`);
  root.replaceChildren(
    h('h3', {}, row.task || '(no task name)', ' on ', row.host || '(no host)'),
    h('p', { class: 'muted' }, `created by ${row.user || '(unknown)'}, deleted ${formatGap(row.gap)} later`, row.deleteUser && row.deleteUser !== row.user ? ` by ${row.deleteUser}` : '', ' · ', row.provenance.map(where).join(' → ')),
    h('div', { class: 'controls' }, exclude('user.name', row.user, 'user'), exclude('winlog.event_data.TaskName', row.task, 'task name')),
    taskAction(events),
    h('div', { class: 'side-by-side' }, events.map((e, i) => eventCard(i === 0 ? 'Created' : i === events.length - 1 ? 'Deleted' : `Event ${i + 1}`, e))),
  );
}
