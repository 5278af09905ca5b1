// Decodes the task definition Windows logs in TaskContent (events 4698/4702): what the task runs,
// as whom, and when. Parsed with DOMParser as XML, which never runs scripts or loads resources;
// the values are shown as text by the caller.

const text = (root, name) => root?.getElementsByTagNameNS('*', name)[0]?.textContent?.trim() || undefined;

/**
 * Returns { actions: [{kind, command, arguments, workingDirectory, classId, data}], author,
 * description, uri, registered, principal: {userId, groupId, logonType, runLevel}, triggers:
 * [{kind, start, end, enabled, repetition, delay, user}], hidden } or { error }.
 */
export function decodeTaskContent(xml) {
  if (typeof xml !== 'string' || !xml.trim()) return { error: 'no task definition in this event' };
  // The declaration says UTF-16 but the string is already decoded; drop it so the parser does not
  // second-guess the encoding.
  const body = xml.replace(/^\s*<\?xml[^>]*\?>/, '');
  const doc = new DOMParser().parseFromString(body, 'application/xml');
  if (doc.getElementsByTagName('parsererror').length > 0 || !doc.documentElement) {
    return { error: 'TaskContent is not well-formed XML; the raw text is shown below' };
  }
  const root = doc.documentElement;
  const actions = [];
  for (const el of root.getElementsByTagNameNS('*', 'Actions')[0]?.children ?? []) {
    actions.push({
      kind: el.localName,
      command: text(el, 'Command'),
      arguments: text(el, 'Arguments'),
      workingDirectory: text(el, 'WorkingDirectory'),
      classId: text(el, 'ClassId'),
      data: text(el, 'Data'),
      to: text(el, 'To'),
      subject: text(el, 'Subject'),
    });
  }
  const triggers = [];
  for (const el of root.getElementsByTagNameNS('*', 'Triggers')[0]?.children ?? []) {
    const interval = text(el, 'Interval');
    const duration = text(el, 'Duration');
    triggers.push({
      kind: el.localName,
      start: text(el, 'StartBoundary'),
      end: text(el, 'EndBoundary'),
      enabled: text(el, 'Enabled'),
      delay: text(el, 'Delay'),
      user: text(el, 'UserId'),
      repetition: interval ? `every ${interval}${duration ? ` for ${duration}` : ''}` : undefined,
    });
  }
  const principal = root.getElementsByTagNameNS('*', 'Principal')[0];
  return {
    actions,
    triggers,
    author: text(root.getElementsByTagNameNS('*', 'RegistrationInfo')[0], 'Author'),
    description: text(root.getElementsByTagNameNS('*', 'RegistrationInfo')[0], 'Description'),
    uri: text(root.getElementsByTagNameNS('*', 'RegistrationInfo')[0], 'URI'),
    registered: text(root.getElementsByTagNameNS('*', 'RegistrationInfo')[0], 'Date'),
    principal: principal
      ? {
          userId: text(principal, 'UserId'),
          groupId: text(principal, 'GroupId'),
          logonType: text(principal, 'LogonType'),
          runLevel: text(principal, 'RunLevel'),
        }
      : undefined,
    hidden: text(root.getElementsByTagNameNS('*', 'Settings')[0], 'Hidden'),
  };
}

/** "cmd.exe /c whoami" -- the command line of an Exec action. */
export const commandLine = (action) => [action.command, action.arguments].filter(Boolean).join(' ');
