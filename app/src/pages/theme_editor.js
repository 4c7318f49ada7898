// The theme editor (the portal's /portal/theme, the console's
// /console/partners/{id}/theme). Plain JavaScript on purpose: a partner
// team's tool should not weigh on the bundle every end user downloads. It
// reads the theme as JSON from the page's data-source with the person's
// session cookie, lays each edit over the preview frame (the preview's boot
// script applies the CSS the server renders for the draft, in the mode asked
// for), and saves with a PUT to the same address. Inputs are named by their
// path in the theme JSON.
(function () {
  'use strict';
  var root = document.getElementById('theme-editor');
  var source = root.getAttribute('data-source');
  var fields = document.getElementById('editor-fields');
  var problem = document.querySelector('.editor-error');
  var saved = document.querySelector('.editor-saved');
  var frame = document.getElementById('theme-preview');
  var screen = document.getElementById('preview-screen');
  var mode = document.getElementById('preview-mode');
  var css = '';
  var pending = 0;

  function show(error) {
    problem.hidden = !error;
    problem.textContent = error ? error.message : '';
    if (error) problem.setAttribute('data-code', error.code);
    else problem.removeAttribute('data-code');
  }

  // {code, message} from an error answer (naming invalid fields).
  function apiError(body, status) {
    var e = (body && body.error) || { code: 'http_' + status, message: 'HTTP ' + status };
    var fields = e.details && e.details.fields;
    var named = fields ? Object.keys(fields).map(function (k) { return k + ' ' + fields[k]; }).join('; ') : '';
    return { code: e.code, message: e.message + (named ? ' ' + named + '.' : '') };
  }

  function call(method, body) {
    return fetch(source, {
      method: method,
      credentials: 'same-origin',
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    }).then(function (r) {
      return r.json().then(
        function (json) { if (!r.ok) throw apiError(json, r.status); return json; },
        function () { throw apiError(null, r.status); },
      );
    });
  }

  function get(theme, path) {
    return path.split('.').reduce(function (v, k) { return v == null ? undefined : v[k]; }, theme);
  }

  function fill(theme) {
    Array.prototype.forEach.call(fields.elements, function (input) {
      if (!input.name) return;
      var v = get(theme, input.name);
      if (input.getAttribute('data-kind') === 'json') input.value = JSON.stringify(v || [], null, 2);
      else input.value = v == null ? '' : String(v);
      sync(input);
    });
  }

  function sync(input) {
    var picker = fields.querySelector('input[type=color][data-for="' + input.name + '"]');
    if (picker && /^#[0-9a-fA-F]{6}$/.test(input.value)) picker.value = input.value;
  }

  // The theme the inputs describe; throws {code, message} on a bad number or JSON.
  function draft() {
    var theme = {};
    Array.prototype.forEach.call(fields.elements, function (input) {
      if (!input.name) return;
      var text = input.value.trim();
      if (!text) return;
      var kind = input.getAttribute('data-kind');
      var value = text;
      if (kind === 'number') {
        value = Number(text);
        if (!isFinite(value)) throw { code: 'validation_failed', message: input.name + ' is not a number' };
      } else if (kind === 'json') {
        try { value = JSON.parse(text); } catch (e) { throw { code: 'validation_failed', message: input.name + ' is not JSON: ' + e.message }; }
      }
      var keys = input.name.split('.');
      var node = theme;
      keys.slice(0, -1).forEach(function (k) { node = node[k] = node[k] || {}; });
      node[keys[keys.length - 1]] = value;
    });
    return theme;
  }

  function post() {
    if (frame.contentWindow) frame.contentWindow.postMessage({ type: 'tessera:theme-preview', css: css }, location.origin);
  }

  function preview() {
    saved.hidden = true;
    var theme;
    try { theme = draft(); } catch (e) { return show(e); }
    if (mode.value) theme.mode = mode.value;
    var mine = ++pending;
    fetch('/api/theme_editor_preview', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'theme_json=' + encodeURIComponent(JSON.stringify(theme)),
    }).then(function (r) {
      return r.json().then(function (body) {
        if (mine !== pending) return;
        if (!r.ok) return show(apiError(body, r.status));
        show(null);
        css = body;
        post();
      });
    }).catch(function () { show({ code: 'network_error', message: 'The server could not be reached.' }); });
  }

  function load() {
    frame.src = screen.value;
  }

  call('GET').then(function (theme) {
    show(null);
    fill(theme);
    load();
    preview();
  }, show);
  fields.addEventListener('input', function (event) {
    var t = event.target;
    if (t.type === 'color') {
      var text = fields.elements[t.getAttribute('data-for')];
      text.value = t.value;
    } else {
      sync(t);
    }
  });
  fields.addEventListener('change', preview);
  fields.addEventListener('submit', function (event) {
    event.preventDefault();
    var theme;
    try { theme = draft(); } catch (e) { return show(e); }
    call('PUT', theme).then(function () { show(null); saved.hidden = false; }, show);
  });
  screen.addEventListener('change', load);
  mode.addEventListener('change', preview);
  frame.addEventListener('load', post);
})();
