// The page is the embeddable triage element and nothing else (see triage/element.js; dashboards
// embed it the same way: <script type="module" src=".../triage/element.js"> + <eqlite-triage>).
import './triage/element.js';
