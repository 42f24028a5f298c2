import type { DemoUser } from './demo-config.js'
import { escapeHtml } from './http.js'
import { PAGE_STYLE } from './page-style.js'

/**
 * The `/device` page: the user's phone. Plain HTML with an inline script that follows
 * `GET /device/api/events?sub=...` (server-sent events) and calls
 * `POST /device/api/requests/{id}/approve|deny`. Every value from the server goes through
 * `textContent`, never `innerHTML`.
 */
export function renderDevicePage(users: readonly DemoUser[]): string {
  const radios = users
    .map(
      (u, i) =>
        `<label><input type="radio" name="sub" value="${escapeHtml(u.sub)}"${i === 0 ? ' checked' : ''}> ${escapeHtml(u.displayName)} (${escapeHtml(u.sub)})</label>`,
    )
    .join('\n        ')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Authentication device · ciba-kit demo</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<header>
  <nav><a href="/client">Open the demo client</a></nav>
  <h1>Authentication device</h1>
  <p>This page plays the user's phone. When a client asks the OP to authenticate you, the request appears here. Check that the binding message matches the one on the client's screen, then approve or deny.</p>
</header>
<main>
  <form id="who" onsubmit="return false">
    <fieldset>
      <legend>I am</legend>
        ${radios}
    </fieldset>
  </form>
  <p id="connection" class="status" role="status">Connecting…</p>
  <section aria-labelledby="pending-heading">
    <h2 id="pending-heading">Pending requests</h2>
    <p id="empty">No pending requests. Start one on the <a href="/client">client page</a>.</p>
    <ul id="requests" class="plain"></ul>
  </section>
  <div id="announce" class="visually-hidden" aria-live="assertive"></div>
</main>
<script>
(function () {
  'use strict';
  var list = document.getElementById('requests');
  var empty = document.getElementById('empty');
  var connection = document.getElementById('connection');
  var announce = document.getElementById('announce');
  var skew = 0; // server clock minus this device's clock, seconds
  var source = null;
  var items = new Map();

  function say(text) { announce.textContent = ''; setTimeout(function () { announce.textContent = text; }, 50); }
  function nowServer() { return Date.now() / 1000 + skew; }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function refreshEmpty() { empty.hidden = items.size > 0; }
  function timeLeft(r) {
    var s = Math.max(0, Math.round(r.expires_at - nowServer()));
    return s >= 60 ? Math.floor(s / 60) + ' min ' + (s % 60) + ' s' : s + ' s';
  }

  function add(r) {
    if (items.has(r.id)) return;
    var headingId = 'req-' + items.size + '-' + Date.now();
    var li = el('li', { 'class': 'card', 'data-request-id': r.id, 'aria-labelledby': headingId });
    li.appendChild(el('h3', { id: headingId }, r.client_name + ' asks you to sign in'));
    if (r.binding_message) {
      li.appendChild(el('p', { 'class': 'hint' }, 'Binding message: check it matches the client screen'));
      li.appendChild(el('p', { 'class': 'binding', 'data-field': 'binding_message' }, r.binding_message));
    } else {
      li.appendChild(el('p', { 'class': 'hint' }, 'No binding message was sent.'));
    }
    var dl = el('dl');
    function row(name, value, field) { dl.appendChild(el('dt', null, name)); var dd = el('dd', field ? { 'data-field': field } : null, value); dl.appendChild(dd); return dd; }
    row('Client', r.client_name + ' (' + r.client_id + ')');
    row('Scope', r.scope, 'scope');
    if (r.acr_values && r.acr_values.length) row('Requested acr', r.acr_values.join(' '));
    var left = row('Time left', timeLeft(r), 'time_left');
    dl.appendChild(el('dt', null, 'Request'));
    dl.appendChild(el('dd', null, r.id.slice(0, 12) + '…'));
    li.appendChild(dl);
    var actions = el('div', { 'class': 'actions' });
    var approve = el('button', { type: 'button', 'class': 'approve', 'aria-label': 'Approve the request from ' + r.client_name }, 'Approve');
    var deny = el('button', { type: 'button', 'class': 'deny', 'aria-label': 'Deny the request from ' + r.client_name }, 'Deny');
    approve.addEventListener('click', function () { decide(r, 'approve', approve, deny); });
    deny.addEventListener('click', function () { decide(r, 'deny', approve, deny); });
    actions.appendChild(approve);
    actions.appendChild(deny);
    li.appendChild(actions);
    list.appendChild(li);
    items.set(r.id, { request: r, node: li, left: left });
    refreshEmpty();
  }

  function remove(id, reason) {
    var item = items.get(id);
    if (!item) return;
    var wasFocused = item.node.contains(document.activeElement);
    item.node.remove();
    items.delete(id);
    refreshEmpty();
    if (wasFocused) { var next = list.querySelector('button'); if (next) next.focus(); }
    if (reason === 'expired') say('A request from ' + item.request.client_name + ' expired.');
  }

  function decide(r, what, approve, deny) {
    approve.disabled = true; deny.disabled = true;
    fetch('/device/api/requests/' + encodeURIComponent(r.id) + '/' + what, { method: 'POST' }).then(function (res) {
      if (res.status === 204) {
        say(what === 'approve' ? 'Approved. The client receives its tokens.' : 'Denied. The client is told access_denied.');
        remove(r.id, what === 'approve' ? 'approved' : 'denied');
      } else {
        say('This request is no longer pending.');
        remove(r.id, 'gone');
      }
    }, function () {
      approve.disabled = false; deny.disabled = false;
      say('Could not reach the server. Try again.');
    });
  }

  function follow(sub) {
    if (source) source.close();
    items.forEach(function (_, id) { remove(id); });
    connection.textContent = 'Connecting…';
    source = new EventSource('/device/api/events?sub=' + encodeURIComponent(sub));
    source.addEventListener('snapshot', function (e) {
      var data = JSON.parse(e.data);
      skew = data.now - Date.now() / 1000;
      items.forEach(function (_, id) { remove(id); });
      data.requests.forEach(add);
      connection.textContent = 'Connected as ' + sub + ': new requests appear here without reloading.';
    });
    source.addEventListener('added', function (e) {
      var r = JSON.parse(e.data);
      add(r);
      say('New request from ' + r.client_name + (r.binding_message ? ': ' + r.binding_message : ''));
    });
    source.addEventListener('removed', function (e) { var d = JSON.parse(e.data); remove(d.id, d.reason); });
    source.onerror = function () { connection.textContent = 'Connection lost, reconnecting…'; };
  }

  setInterval(function () {
    items.forEach(function (item, id) {
      if (item.request.expires_at <= nowServer()) remove(id, 'expired');
      else item.left.textContent = timeLeft(item.request);
    });
  }, 1000);

  var radios = document.querySelectorAll('input[name=sub]');
  var wanted = new URLSearchParams(location.search).get('sub');
  radios.forEach(function (r) {
    if (wanted && r.value === wanted) r.checked = true;
    r.addEventListener('change', function () {
      if (!r.checked) return;
      history.replaceState(null, '', '?sub=' + encodeURIComponent(r.value));
      follow(r.value);
    });
  });
  var checked = document.querySelector('input[name=sub]:checked');
  refreshEmpty();
  if (checked) follow(checked.value);
})();
</script>
</body>
</html>
`
}
