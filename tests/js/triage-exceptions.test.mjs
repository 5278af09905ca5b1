// The page's own evaluation of exception items (www/triage/exceptions.js), which it uses only to
// count how many matches each exception suppressed. It must agree with the engine's
// (src/exceptions.rs, whose unit tests hold the same cases) or the counts would lie.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { itemMatches, wildcardMatch, parseExceptions, suppressedBy, describeItem, makeItem } from '../../www/triage/exceptions.js';

const entry = (field, type, value, operator = 'included') => (type === 'exists' ? { field, operator, type } : { field, operator, type, value });
const item = (...entries) => ({ entries });
const created = (user, task = '\\t') => ({
  event: { action: 'scheduled-task-created', category: ['iam', 'configuration'] },
  winlog: { computer_name: 'HOST01', event_data: { TaskName: task } },
  ...(user === undefined ? {} : { user: { name: user } }),
});

test('is: exact and case-sensitive; a missing field is not "is", but is "is not"', () => {
  const is = item(entry('user.name', 'match', 'admmig'));
  assert.equal(itemMatches(is, created('admmig')), true);
  assert.equal(itemMatches(is, created('ADMMIG')), false);
  assert.equal(itemMatches(is, created(undefined)), false);
  const isNot = item(entry('user.name', 'match', 'admmig', 'excluded'));
  assert.equal(itemMatches(isNot, created('admmig')), false);
  assert.equal(itemMatches(isNot, created('bob')), true);
  assert.equal(itemMatches(isNot, created(undefined)), true);
});

test('is one of, exists, and their negations; multi-valued fields', () => {
  const any = item(entry('winlog.event_data.TaskName', 'match_any', ['\\a', '\\b']));
  assert.equal(itemMatches(any, created(undefined, '\\b')), true);
  assert.equal(itemMatches(any, created(undefined, '\\c')), false);
  const exists = item(entry('user.name', 'exists'));
  assert.equal(itemMatches(exists, created('x')), true);
  assert.equal(itemMatches(exists, created(undefined)), false);
  assert.equal(itemMatches(item(entry('user.name', 'exists', undefined, 'excluded')), { user: { name: null } }), true);
  assert.equal(itemMatches(item(entry('event.category', 'match', 'configuration')), created('x')), true);
  assert.equal(itemMatches(item(entry('event.category', 'match', 'configuration', 'excluded')), created('x')), false);
  assert.equal(itemMatches(item(entry('event.code', 'match', '4698')), { event: { code: 4698 } }), true);
  assert.equal(itemMatches(item(entry('event.code', 'match', '')), { event: { code: 0 } }), false);
  assert.equal(itemMatches(item(entry('a.b', 'match', 'x')), { 'a.b': 'x' }), true, 'dotted keys');
});

test('matches: Elasticsearch wildcard syntax, case-sensitive', () => {
  assert.equal(wildcardMatch('*$', 'WORKSTATION6$'), true);
  assert.equal(wildcardMatch('*$', 'admmig'), false);
  assert.equal(wildcardMatch('a?c*', 'abcdef'), true);
  assert.equal(wildcardMatch('a?c', 'ac'), false);
  assert.equal(wildcardMatch('*a*b', 'xxaxxbxxc'), false);
  assert.equal(wildcardMatch('x\\*', 'x*'), true);
  assert.equal(wildcardMatch('x\\*', 'xy'), false);
  assert.equal(wildcardMatch('\\Microsoft\\\\Windows\\\\*', 'Microsoft\\Windows\\UpdateOrchestrator'), true);
  assert.equal(wildcardMatch('*onedrive*', '\\OneDrive Sync'), false);
  assert.equal(wildcardMatch('é?', 'éü'), true);
  assert.equal(wildcardMatch('(.+)[x]', '(.+)[x]'), true, 'regex characters are literal');
});

test('entries are AND-ed; counts per exception over the exception-free matches', () => {
  const both = item(entry('user.name', 'match', 'admmig'), entry('winlog.event_data.TaskName', 'match', '\\smbservice'));
  assert.equal(itemMatches(both, created('admmig', '\\smbservice')), true);
  assert.equal(itemMatches(both, created('admmig', '\\other')), false);
  const result = (user, task) => ({ events: [{ _source: created(user, task) }, { _source: { ...created(user, task), event: { action: 'scheduled-task-deleted' } } }] });
  const baseline = [result('admmig', '\\smbservice'), result('bob', '\\x'), result('admmig', '\\y')];
  assert.deepEqual(suppressedBy([both, item(entry('user.name', 'match', 'admmig'))], baseline), [1, 2]);
});

test('Kibana export NDJSON reads, list header and summary skipped; bad items named', () => {
  const text = [
    { list_id: 'l', type: 'detection', name: 'Rule exceptions' },
    { list_id: 'l', item_id: 'a', name: 'admin', type: 'simple', entries: [entry('user.name', 'match', 'admmig')] },
    { exported_exception_list_count: 1 },
  ].map((o) => JSON.stringify(o)).join('\n');
  const items = parseExceptions(text);
  assert.equal(items.length, 1);
  assert.equal(items[0].item_id, 'a');
  assert.equal(describeItem(items[0]), 'user.name is "admmig"');
  assert.throws(() => parseExceptions('[{"entries": [{"field": "f", "operator": "included", "type": "list"}]}]'), /item 1, entry 1: type "list" is not supported/);
  assert.throws(() => parseExceptions('[{"name": "x"}]'), /item 1 has no entries/);
  assert.deepEqual(parseExceptions(JSON.stringify([makeItem([entry('f', 'exists')])]))[0].entries, [{ field: 'f', operator: 'included', type: 'exists' }]);
});
