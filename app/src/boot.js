(function () {
  'use strict';
  // appVersion and deviceId (query parameters of the first URL) ride along in
  // every analytics event of this visit, across the webview's own navigations.
  var context = {};
  try {
    context = JSON.parse(sessionStorage.getItem('tessera.context') || '{}');
  } catch (e) {
    /* storage may be off in an embedded context */
  }
  var params = new URLSearchParams(location.search);
  ['appVersion', 'deviceId'].forEach(function (key) {
    var value = params.get(key);
    if (value) context[key] = value.slice(0, 100);
  });
  try {
    sessionStorage.setItem('tessera.context', JSON.stringify(context));
  } catch (e) {
    /* see above */
  }

  var bridge = (window.tesseraBridge = window.tesseraBridge || {
    // Delivered to whichever host is present; documented in docs/webview.md.
    post: function (message) {
      var json = JSON.stringify(message);
      try {
        if (window.ReactNativeWebView) window.ReactNativeWebView.postMessage(json);
        if (window.webkit && window.webkit.messageHandlers && window.webkit.messageHandlers.tessera) {
          window.webkit.messageHandlers.tessera.postMessage(message);
        }
        if (window.TesseraAndroid && window.TesseraAndroid.postMessage) window.TesseraAndroid.postMessage(json);
        if (window.TesseraFlutter && window.TesseraFlutter.postMessage) window.TesseraFlutter.postMessage(json);
        if (window.parent !== window) {
          // Only to the partner's allowed origins the server rendered (or this
          // very origin, e.g. /demo), never "*".
          var holder = document.querySelector('[data-host-origins]');
          var allowed = ((holder && holder.getAttribute('data-host-origins')) || '').split(' ');
          bridge.targets(allowed, location.ancestorOrigins, location.origin).forEach(function (origin) {
            window.parent.postMessage(message, origin);
          });
        }
      } catch (e) {
        /* a host's bridge failing must not break the page */
      }
      (window.tesseraBridgeLog = window.tesseraBridgeLog || []).push(message);
    },
    // The origins to address a message to the parent frame at: the parent's
    // own (from ancestorOrigins) when it is allowed. Firefox has no
    // ancestorOrigins: then each allowed origin in turn — the browser delivers
    // a message only when its target is the parent's origin, so the others are
    // dropped and nothing ever goes to "*" or elsewhere.
    targets: function (allowed, ancestors, own) {
      var ok = allowed.filter(function (o) { return o; }).concat([own]);
      if (!ancestors) return ok;
      var parent = ancestors.length ? ancestors[0] : null;
      return parent && ok.indexOf(parent) >= 0 ? [parent] : [];
    },
    // {type: "analytics", event, properties}; properties carry appVersion and
    // deviceId when the host gave them. `properties` may be a JSON string.
    analytics: function (event, properties) {
      var props = typeof properties === 'string' ? JSON.parse(properties || '{}') : properties || {};
      for (var key in context) if (!(key in props)) props[key] = context[key];
      bridge.post({ type: 'analytics', event: event, properties: props });
    },
    // A failure while the user works (a lost connection, a session that
    // ended): {type: "action", action: "error", code, message, fatal: false}.
    error: function (code, message) {
      bridge.post({ type: 'action', action: 'error', code: code, message: message, fatal: false });
    },
    // The device's position, asked only when the user starts a redemption.
    // Resolves to a JSON string: {"status":"granted",lat,lng,accuracyM} or
    // {"status":"denied"|"unavailable"|"timeout"}; never rejects.
    locate: function () {
      return new Promise(function (resolve) {
        var done = function (value) {
          resolve(JSON.stringify(value));
        };
        if (!navigator.geolocation) return done({ status: 'unavailable' });
        navigator.geolocation.getCurrentPosition(
          function (p) {
            done({ status: 'granted', lat: p.coords.latitude, lng: p.coords.longitude, accuracyM: p.coords.accuracy });
          },
          function (e) {
            done({ status: e.code === 1 ? 'denied' : e.code === 3 ? 'timeout' : 'unavailable' });
          },
          { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 },
        );
      });
    },
    // Copies text; resolves true when it was copied.
    copy: function (text) {
      if (!navigator.clipboard) return Promise.resolve(false);
      return navigator.clipboard.writeText(text).then(
        function () {
          return true;
        },
        function () {
          return false;
        },
      );
    },
  });

  // An SSO link (?clientId=…&token=…) was handled by the server before this
  // page: take the token out of the address bar too.
  if (params.has('token')) {
    params.delete('token');
    var rest = params.toString();
    history.replaceState(history.state, '', location.pathname + (rest ? '?' + rest : '') + location.hash);
  }
  // The server refused that sign-in: tell the host app, as for a refused JWT.
  function refusedBySso() {
    var screen = document.querySelector('[data-boot-error]');
    if (!screen) return;
    document.documentElement.setAttribute('data-boot', 'failed');
    bridge.post({ type: 'action', action: 'error', code: screen.getAttribute('data-code'), message: screen.getAttribute('data-boot-error') });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', refusedBySso);
  else refusedBySso();

  // Copy buttons outside islands (the SSO debug panel's curl): data-copy="<selector>".
  document.addEventListener('click', function (event) {
    var button = event.target && event.target.closest && event.target.closest('[data-copy]');
    if (!button) return;
    var source = document.querySelector(button.getAttribute('data-copy'));
    if (!source) return;
    bridge.copy(source.textContent).then(function (done) {
      button.textContent = done ? 'Copied' : 'Select the text to copy it';
    });
  });

  // The header's close control: the host app closes the webview.
  document.addEventListener('click', function (event) {
    var target = event.target && event.target.closest && event.target.closest('[data-bridge-close]');
    if (!target) return;
    event.preventDefault();
    bridge.analytics('exited', { from: location.pathname });
    bridge.post({ type: 'action', action: 'close' });
  });

  // A tap on a link to another screen shows at once that the next one is
  // coming (a bar across the top, the screen dimmed), long before a slow
  // network brings it. Coming back through the history clears it.
  document.addEventListener('click', function (event) {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    var link = event.target && event.target.closest && event.target.closest('a[href]');
    if (!link || link.target || link.hasAttribute('download')) return;
    var to = new URL(link.href, location.href);
    if (to.origin !== location.origin || (to.pathname === location.pathname && to.search === location.search)) return;
    document.documentElement.setAttribute('data-navigating', '');
  });
  // (Only a page restored from the back-forward cache: the first pageshow comes
  // after the load event, which a tap can precede.)
  // A screen whose state a payment page changed (the checkout, once Pay has
  // sent the user on) is loaded again when Back restores it from that cache:
  // never a frozen "Opening the payment…".
  window.addEventListener('pageshow', function (event) {
    if (!event.persisted) return;
    document.documentElement.removeAttribute('data-navigating');
    if (document.querySelector('[data-fresh-on-back]')) location.reload();
  });

  // Screens say what they are (data-visit on <main>): visit_home, visit_voucher, …
  function visit() {
    if (document.documentElement.hasAttribute('data-boot')) return;
    var main = document.querySelector('[data-visit]');
    if (!main) return;
    var props = {};
    try {
      props = JSON.parse(main.getAttribute('data-visit-props') || '{}');
    } catch (e) {
      /* rendered by the server; never malformed */
    }
    bridge.analytics(main.getAttribute('data-visit'), props);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', visit);
  else visit();

  // The theme editor (same origin, framing this page as its preview) sends a
  // draft theme's CSS; it is laid over the saved theme, nothing is stored.
  window.addEventListener('message', function (event) {
    var data = event.data;
    if (event.origin !== location.origin || !data || data.type !== 'tessera:theme-preview') return;
    if (!('adoptedStyleSheets' in document)) return;
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(String(data.css || ''));
    document.adoptedStyleSheets = [sheet];
  });

  // Back from the background (iOS suspends a webview while its app is away):
  // screens whose state can change elsewhere (wallet, redemption) refresh.
  var hiddenAt = 0;
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'hidden') {
      hiddenAt = Date.now();
    } else if (hiddenAt && document.querySelector('[data-refresh-on-return]')) {
      hiddenAt = 0;
      location.reload();
    }
  });

  var match = /(?:^#|&)token=([^&]*)/.exec(location.hash);
  // The app says when it is interactive (hydrated); the host hears app_ready
  // then — unless this load is the sign-in (which reloads the page) or failed.
  window.addEventListener(
    'tessera:interactive',
    function () {
      document.documentElement.setAttribute('data-interactive', 'true');
      if (!document.documentElement.hasAttribute('data-boot')) {
        bridge.post({ type: 'action', action: 'app_ready' });
      }
    },
    { once: true },
  );
  if (!match) return;
  var token = decodeURIComponent(match[1]);
  var clean = location.pathname + location.search;
  history.replaceState(history.state, '', clean);

  // What the person is told, in their language (the server puts the words in
  // #tessera-boot-texts; English if that is missing); the server's message (for
  // developers) goes to the host app with the `error` action and stays on the
  // screen as data-boot-error.
  var PEOPLE = {
    token_expired: ['boot-expired', 'Your sign-in link has expired.'],
    session_expired: ['boot-expired', 'Your sign-in link has expired.'],
    token_invalid: ['boot-invalid', 'This sign-in link is not valid.'],
    token_unknown_issuer: ['boot-invalid', 'This sign-in link is not valid.'],
    authentication_required: ['boot-invalid', 'This sign-in link is not valid.'],
    rate_limited: ['boot-rate-limited', 'Too many sign-ins from this device. Wait a minute, then try again.'],
    network_error: ['boot-network', 'We could not reach the server. Check your connection, then try again.'],
    session_failed: ['boot-failed', 'Something went wrong on our side.'],
  };
  var texts = null;
  function said(key, english) {
    if (!texts) {
      try {
        texts = JSON.parse(document.getElementById('tessera-boot-texts').textContent);
      } catch (e) {
        texts = {};
      }
    }
    return texts[key] || english;
  }
  var RETRYABLE = { rate_limited: true, network_error: true, session_failed: true };

  function button(label, attribute) {
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'button';
    b.textContent = label;
    b.setAttribute(attribute, '');
    return b;
  }

  function fail(code, message) {
    document.documentElement.setAttribute('data-boot', 'failed');
    bridge.post({ type: 'action', action: 'error', code: code, message: message });
    var show = function () {
      var old = document.querySelector('.boot-error[data-boot-script]');
      if (old) old.remove();
      var screen = document.createElement('div');
      screen.className = 'boot-error';
      screen.setAttribute('role', 'alert');
      screen.setAttribute('data-code', code);
      screen.setAttribute('data-boot-script', '');
      screen.setAttribute('data-boot-error', message);
      var title = document.createElement('h1');
      title.textContent = said('sso-title', 'We could not sign you in');
      var text = document.createElement('p');
      var why = PEOPLE[code] || ['boot-unknown', 'This sign-in link did not work.'];
      text.textContent = said(why[0], why[1]) +
        (RETRYABLE[code] ? '' : ' ' + said('sso-again', 'Close this screen and open it again from the app.'));
      screen.appendChild(title);
      screen.appendChild(text);
      var actions = document.createElement('p');
      actions.className = 'boot-actions';
      if (RETRYABLE[code]) {
        var again = button(said('boot-retry', 'Try again'), 'data-boot-retry');
        again.addEventListener('click', signIn);
        actions.appendChild(again);
      }
      var close = button(said('nav-close', 'Close'), 'data-bridge-close');
      if (RETRYABLE[code]) close.className = 'button secondary';
      actions.appendChild(close);
      screen.appendChild(actions);
      document.body.insertBefore(screen, document.body.firstChild);
    };
    if (document.body) show();
    else document.addEventListener('DOMContentLoaded', show);
  }

  function signIn() {
  document.documentElement.setAttribute('data-boot', 'signing-in');
  fetch('/consumer/session', {
    method: 'POST',
    headers: { authorization: 'Bearer ' + token },
    credentials: 'same-origin',
    cache: 'no-store',
  })
    .then(function (response) {
      if (response.status === 204) {
        location.replace(clean);
        return;
      }
      return response.json().then(
        function (body) {
          fail(body.error.code, body.error.message);
        },
        function () {
          fail('session_failed', 'The server could not open a session (HTTP ' + response.status + ').');
        },
      );
    })
    .catch(function () {
      fail('network_error', 'The server could not be reached.');
    });
  }
  signIn();
})();
