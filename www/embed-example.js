// How a dashboard embeds the triage UI with the documented mount function (see docs/page.md).
import { mount } from './triage/element.js';

mount(document.getElementById('triage-slot'));
