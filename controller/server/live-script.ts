/**
 * The one script of the status pages, served at LIVE_SCRIPT_PATH: every few
 * seconds it fetches the page it is on again and swaps in the fresh
 * `<main id="live">`, so the page follows the rollout without a reload (and
 * keeps its scroll position). Without it the page refreshes itself. Plain
 * browser JavaScript with no build step; the pages allow no other script.
 */

/** Seconds between two fetches of the page. */
export const LIVE_EVERY_SECONDS = 3;

export const LIVE_SCRIPT = `'use strict';
(function () {
  var every = ${LIVE_EVERY_SECONDS * 1000};
  var mark = document.getElementById('live-state');
  function say(text) { if (mark) mark.textContent = text; }
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function again() { setTimeout(refresh, every); }
  function refresh() {
    fetch(location.href, { headers: { Accept: 'text/html' }, cache: 'no-store' })
      .then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, 'text/html');
        var next = fresh.getElementById('live');
        var now = document.getElementById('live');
        if (next && now && next.innerHTML !== now.innerHTML) now.replaceWith(document.adoptNode(next));
        if (fresh.title) document.title = fresh.title;
        var t = new Date();
        say('live · ' + pad(t.getUTCHours()) + ':' + pad(t.getUTCMinutes()) + ':' + pad(t.getUTCSeconds()) + ' UTC');
      })
      .catch(function () { say('controller out of reach; trying again'); })
      .then(again);
  }
  say('live');
  again();
})();
`;
