// The docs' search: runs in the page over /docs/search.json (fetched once).
// Every word typed must appear in a section's heading or text.
(function () {
  'use strict';
  // On a phone the contents start folded, so the page comes first.
  var menu = document.querySelector('.docs-menu');
  if (menu && window.matchMedia('(max-width: 759px)').matches) menu.open = false;
  var input = document.getElementById('docs-q');
  var list = document.getElementById('docs-results');
  if (!input || !list) return;
  var index = null;
  // A partner's docs (?clientId=) stay in its theme as the reader moves on.
  var client = new URLSearchParams(location.search).get('clientId');
  function withClient(url) {
    if (!client) return url;
    var at = url.indexOf('#');
    var path = at < 0 ? url : url.slice(0, at);
    var fragment = at < 0 ? '' : url.slice(at);
    return path + (path.indexOf('?') < 0 ? '?' : '&') + 'clientId=' + encodeURIComponent(client) + fragment;
  }
  function load() {
    if (!index) index = fetch('/docs/search.json').then(function (r) { return r.json(); });
    return index;
  }
  function snippet(text, word) {
    var at = text.toLowerCase().indexOf(word);
    var start = Math.max(0, at - 40);
    return (start > 0 ? '…' : '') + text.slice(start, start + 140).trim() + '…';
  }
  input.addEventListener('focus', load);
  input.addEventListener('input', function () {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    if (!words.length) { list.hidden = true; return; }
    load().then(function (sections) {
      var hits = sections.filter(function (s) {
        var hay = (s.heading + ' ' + s.text).toLowerCase();
        return words.every(function (w) { return hay.indexOf(w) >= 0; });
      }).slice(0, 12);
      list.textContent = '';
      hits.forEach(function (s) {
        var li = document.createElement('li');
        var a = document.createElement('a');
        a.href = withClient(s.url);
        a.textContent = s.page + ' › ' + s.heading;
        var p = document.createElement('p');
        p.textContent = snippet(s.text, words[0]);
        li.appendChild(a);
        li.appendChild(p);
        list.appendChild(li);
      });
      if (!hits.length) {
        var none = document.createElement('li');
        none.textContent = 'Nothing found.';
        list.appendChild(none);
      }
      list.hidden = false;
    });
  });
  input.form.addEventListener('submit', function (e) { e.preventDefault(); });
})();
