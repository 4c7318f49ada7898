// The webview's boot, inline in every page (with the response's CSP nonce) so
// it runs before anything else. A partner JWT arrives in the URL fragment
// (/consumer#token=…), which never reaches a server or a Referer. It is read,
// scrubbed from the address bar at once, and exchanged for the session cookie
// by a POST with the token in a header; the page then reloads without it and
// renders the user's data on the server. A refused token shows an error
// screen and tells the host app through the bridge.
(function () {
  'use strict';
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
          // Only to the partner's allowed origins the server rendered, never "*".
          var holder = document.querySelector('[data-host-origins]');
          var allowed = ((holder && holder.getAttribute('data-host-origins')) || '').split(' ');
          var ancestors = location.ancestorOrigins;
          var parent = ancestors && ancestors.length ? ancestors[0] : null;
          if (parent && allowed.indexOf(parent) >= 0) window.parent.postMessage(message, parent);
        }
      } catch (e) {
        /* a host's bridge failing must not break the page */
      }
      (window.tesseraBridgeLog = window.tesseraBridgeLog || []).push(message);
    },
  });

  var match = /(?:^#|&)token=([^&]*)/.exec(location.hash);
  // The app says when it is interactive (hydrated); the host hears app_ready
  // then — unless this load is the sign-in (which reloads the page) or failed.
  window.addEventListener(
    'tessera:interactive',
    function () {
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

  function fail(code, message) {
    document.documentElement.setAttribute('data-boot', 'failed');
    bridge.post({ type: 'action', action: 'error', code: code, message: message });
    var show = function () {
      var screen = document.createElement('div');
      screen.className = 'boot-error';
      screen.setAttribute('role', 'alert');
      screen.setAttribute('data-code', code);
      var title = document.createElement('h1');
      title.textContent = 'This link could not sign you in';
      var text = document.createElement('p');
      text.textContent = message + ' Close this screen and open it again from the app.';
      screen.appendChild(title);
      screen.appendChild(text);
      document.body.insertBefore(screen, document.body.firstChild);
    };
    if (document.body) show();
    else document.addEventListener('DOMContentLoaded', show);
  }

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
})();
