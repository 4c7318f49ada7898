// Loads the bundle and hydrates the page's islands, in place of Leptos' own
// loader (leptos/src/hydration/island_script.js), which does the same after
// waiting for an idle moment and walking every element of the page with an
// `await` per element: ~70 ms of a 100-voucher home on a phone at 4x CPU
// before the last island, which is the one that says the page is interactive.
// Here the browser's selector engine finds the islands, in document order
// (the order Leptos hydrates them). None of Tessera's islands takes children,
// so Leptos' `leptos-children` callbacks have nothing to run.
// Called with the bundle's JS and WASM paths (see BundleScripts in lib.rs).
(function (js, wasm) {
  'use strict';
  import(js).then(function (mod) {
    function hydrateIsland(el, id) {
      var island = mod[id];
      if (!island) {
        console.warn('no WASM function for the island ' + id);
        return undefined;
      }
      return island(el);
    }
    window.__hydrateIsland = hydrateIsland;
    return mod.default({ module_or_path: wasm }).then(function () {
      mod.hydrate();
      var islands = Array.prototype.slice.call(document.querySelectorAll('leptos-island'));
      var next = function () {
        var el = islands.shift();
        if (!el) return undefined;
        var done = hydrateIsland(el, el.dataset.component || null);
        return done && done.then ? done.then(next) : next();
      };
      return next();
    });
  }).catch(function (e) {
    // The page stays readable (its buttons stay visibly not ready); the host
    // hears of it as of any lost connection.
    if (window.tesseraBridge) window.tesseraBridge.error('network_error', 'The page could not finish loading: ' + e);
    throw e;
  });
})
