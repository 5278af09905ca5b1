// A small Markdown subset for investigation guides (headings, lists, block quotes, paragraphs,
// `code` and **bold**), built as DOM nodes: the guide comes from a rule file and is shown as text.
import { h } from './dom.js';

function inline(text) {
  const out = [];
  const re = /(`[^`]+`|\*\*[^*]+\*\*)/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    const token = m[0];
    out.push(token.startsWith('`') ? h('code', {}, token.slice(1, -1)) : h('strong', {}, token.slice(2, -2)));
    last = m.index + token.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/** Returns a DocumentFragment for the Markdown text; headings start at level `top`. */
export function renderMarkdown(md, top = 3) {
  const frag = document.createDocumentFragment();
  let list = null;
  let para = [];
  const flush = () => {
    if (para.length) frag.append(h('p', {}, inline(para.join(' '))));
    para = [];
  };
  for (const raw of String(md ?? '').split('\n')) {
    const line = raw.trimEnd();
    const heading = line.match(/^(#{1,6})\s+(.*)$/);
    const item = line.match(/^\s*[-*]\s+(.*)$/);
    if (heading) {
      flush();
      list = null;
      const level = Math.min(6, top + heading[1].length - 1);
      frag.append(h(`h${level}`, {}, inline(heading[2])));
    } else if (item) {
      flush();
      if (!list) frag.append((list = h('ul')));
      list.append(h('li', {}, inline(item[1])));
    } else if (line.startsWith('>')) {
      flush();
      list = null;
      frag.append(h('blockquote', {}, inline(line.replace(/^>\s?/, ''))));
    } else if (!line.trim()) {
      flush();
      list = null;
    } else if (list && /^\s+\S/.test(raw)) {
      list.lastChild.append(' ', ...inline(line.trim()));
    } else {
      list = null;
      para.push(line.trim());
    }
  }
  flush();
  return frag;
}
