import { escapeHtml } from './http.js'
import { PAGE_STYLE } from './page-style.js'

/**
 * The `/client` page: the consumption device. It talks only to its own backend
 * (`/client/api/...`), which holds the client secret and talks to the OP. Values from the
 * server are written with `textContent`, never `innerHTML`.
 */
export function renderClientPage(options: { readonly defaultLoginHint: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo client · ciba-kit demo</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<header>
  <nav><a href="/device">Open the authentication device</a></nav>
  <h1>Demo client</h1>
  <p>This page plays the consumption device: a bank terminal, a call-centre app, a petrol pump. It asks the OP to authenticate a user it can name; the user approves on their own device, and this client receives tokens without any browser redirect.</p>
</header>
<main>
  <p id="op" class="status" role="status">Reading the OP's discovery document…</p>
  <form id="start" novalidate>
    <label for="login_hint">Login hint (who should approve)</label>
    <input type="text" id="login_hint" name="login_hint" value="${escapeHtml(options.defaultLoginHint)}" autocomplete="off" required aria-describedby="login_hint_help">
    <p id="login_hint_help" class="hint">Try alice, alice@example.com, bob or bob@example.com.</p>
    <label for="binding_message">Binding message</label>
    <input type="text" id="binding_message" name="binding_message" autocomplete="off" maxlength="64" aria-describedby="binding_help">
    <p id="binding_help" class="hint">Shown on both screens so the user can check they approve this very request.</p>
    <label for="scope">Scope</label>
    <input type="text" id="scope" name="scope" value="openid profile email" autocomplete="off">
    <fieldset id="modes">
      <legend>Token delivery mode</legend>
      <label><input type="radio" name="mode" value="poll" checked aria-describedby="mode_poll_note"> Poll</label>
      <label><input type="radio" name="mode" value="ping" aria-describedby="mode_ping_note"> Ping</label>
      <label><input type="radio" name="mode" value="push" aria-describedby="mode_push_note"> Push</label>
      <p class="hint" id="mode_poll_note">Poll: this client asks the token endpoint every interval seconds.</p>
      <p class="hint" id="mode_ping_note">Ping: the OP calls this client back, then it fetches the tokens.</p>
      <p class="hint" id="mode_push_note">Push: the OP delivers the tokens to this client.</p>
    </fieldset>
    <button type="submit" id="start_button" class="primary">Start authentication</button>
  </form>

  <section id="progress" aria-labelledby="progress-heading" hidden>
    <h2 id="progress-heading">Progress</h2>
    <dl>
      <dt>auth_req_id</dt><dd id="auth_req_id"></dd>
      <dt>Mode</dt><dd id="mode_used"></dd>
      <dt>Expires in</dt><dd id="expires_in"></dd>
      <dt>Interval</dt><dd id="interval"></dd>
    </dl>
    <ol id="log" class="log" aria-live="polite"></ol>
  </section>

  <section id="result" aria-labelledby="result-heading" hidden>
    <h2 id="result-heading" tabindex="-1">Result</h2>
    <p id="outcome" role="alert"></p>
    <div id="token_details" hidden>
      <h3>ID token claims</h3>
      <p id="id_token_note" class="hint"></p>
      <pre id="claims"></pre>
      <h3>Userinfo</h3>
      <pre id="userinfo"></pre>
    </div>
  </section>
</main>
<script>
(function () {
  'use strict';
  function $(id) { return document.getElementById(id); }
  var form = $('start'), button = $('start_button'), log = $('log'), source = null;
  var words = ['Pump', 'Desk', 'Till', 'Gate'];
  var code = Math.random().toString(36).slice(2, 6).toUpperCase();
  $('binding_message').value = words[Math.floor(Math.random() * words.length)] + ' ' + (1 + Math.floor(Math.random() * 9)) + ' code ' + code;

  function line(text, cls) {
    var li = document.createElement('li');
    li.textContent = new Date().toLocaleTimeString() + '  ' + text;
    if (cls) li.className = cls;
    log.appendChild(li);
  }
  function errorText(body) {
    return body.error + (body.error_description ? ': ' + body.error_description : '');
  }
  function showFailure(body) {
    $('result').hidden = false;
    $('token_details').hidden = true;
    var outcome = $('outcome');
    outcome.className = 'error';
    outcome.textContent = errorText(body);
    outcome.setAttribute('data-error', body.error);
  }

  fetch('/client/api/config').then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); }).then(function (res) {
    if (!res.ok) { $('op').textContent = 'Cannot read the OP discovery document: ' + errorText(res.body); return; }
    $('op').textContent = 'OP: ' + res.body.issuer + ' (read from ' + res.body.discovery_url + ')';
    res.body.modes.forEach(function (m) {
      var input = document.querySelector('input[name=mode][value=' + m.mode + ']');
      if (!input) return;
      input.disabled = !m.available;
      if (!m.available) $('mode_' + m.mode + '_note').textContent = m.mode.charAt(0).toUpperCase() + m.mode.slice(1) + ': ' + m.reason + '.';
    });
  }, function () { $('op').textContent = 'Cannot reach this demo client\\'s backend.'; });

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    if (source) { source.close(); source = null; }
    var mode = (document.querySelector('input[name=mode]:checked') || {}).value || 'poll';
    var payload = { login_hint: $('login_hint').value, binding_message: $('binding_message').value, scope: $('scope').value, mode: mode };
    button.disabled = true;
    log.textContent = '';
    $('result').hidden = true;
    $('outcome').removeAttribute('data-error');
    $('progress').hidden = false;
    ['auth_req_id', 'mode_used', 'expires_in', 'interval'].forEach(function (id) { $(id).textContent = ''; });
    line('POST backchannel authentication request (' + mode + ') for ' + payload.login_hint);
    fetch('/client/api/flows', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) })
      .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
      .then(function (res) {
        if (!res.ok) { line('The OP refused: ' + errorText(res.body), 'error'); showFailure(res.body); button.disabled = false; return; }
        follow(res.body.id);
      }, function () { line('Cannot reach this demo client\\'s backend.', 'error'); button.disabled = false; });
  });

  function follow(id) {
    source = new EventSource('/client/api/flows/' + encodeURIComponent(id) + '/events');
    source.addEventListener('started', function (e) {
      var d = JSON.parse(e.data);
      $('auth_req_id').textContent = d.auth_req_id;
      $('mode_used').textContent = d.mode + ' (client ' + d.client_id + ')';
      $('expires_in').textContent = d.expires_in + ' s';
      $('interval').textContent = d.mode === 'poll' ? d.interval + ' s' : 'not used (' + d.mode + ')';
      line('OP accepted: auth_req_id received. ' + (d.mode === 'poll' ? 'Polling the token endpoint every ' + d.interval + ' s.' : 'Waiting for the OP to call back (' + d.mode + ').'));
      line('Waiting for the user to approve on their authentication device…');
    });
    source.addEventListener('poll', function (e) {
      var d = JSON.parse(e.data);
      line('Poll #' + d.n + ': ' + d.result + (d.result === 'slow_down' ? ' (interval now ' + d.next_in + ' s)' : ''));
    });
    source.addEventListener('notification', function (e) {
      var d = JSON.parse(e.data);
      line('Notification received (' + d.kind + '): ' + d.note, 'success');
    });
    source.addEventListener('tokens', function (e) {
      var d = JSON.parse(e.data);
      done();
      line('Tokens received: ' + d.token_type + ' access token (' + d.expires_in + ' s)' + (d.refresh_token_received ? ', a refresh token' : '') + ' and an ID token.', 'success');
      $('result').hidden = false;
      $('token_details').hidden = false;
      var outcome = $('outcome');
      outcome.className = 'success';
      outcome.textContent = 'Authenticated as ' + d.id_token_claims.sub + '.';
      $('id_token_note').textContent = 'Signature verified with the OP JWKS (' + d.id_token_header.alg + (d.id_token_header.kid ? ', kid ' + d.id_token_header.kid : '') + '); iss, aud and exp checked.';
      $('claims').textContent = JSON.stringify(d.id_token_claims, null, 2);
      $('userinfo').textContent = JSON.stringify(d.userinfo, null, 2);
      $('result-heading').focus();
    });
    source.addEventListener('failed', function (e) {
      var d = JSON.parse(e.data);
      done();
      line('Failed: ' + errorText(d), 'error');
      showFailure(d);
      $('result-heading').focus();
    });
    source.onerror = function () { if (source && source.readyState === EventSource.CLOSED) done(); };
  }
  function done() { if (source) { source.close(); source = null; } button.disabled = false; }
})();
</script>
</body>
</html>
`
}
