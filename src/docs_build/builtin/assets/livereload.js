// docs-build serve: reload this page when its bytes change, show build errors over the page.
// Added to HTML responses by the dev server only; built sites never load it.
(function () {
  "use strict";
  var me = document.currentScript;
  var server = me ? me.getAttribute("data-server") : "";
  var generation = me ? Number(me.getAttribute("data-generation")) || 0 : 0;
  var OVERLAY_ID = "docs-build-overlay";

  // The plan key this page was served from: "/models/x/" -> "models/x/index.html".
  function pageKey() {
    var path = decodeURIComponent(location.pathname).replace(/^\/+/, "");
    return path === "" || path.charAt(path.length - 1) === "/" ? path + "index.html" : path;
  }

  function affectsPage(changed) {
    if (changed === "*") { return true; }
    var key = pageKey();
    for (var i = 0; i < changed.length; i++) {
      var path = changed[i];
      if (path === key || /\.(css|js)$/.test(path)) { return true; }
    }
    return false;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; } // never innerHTML
    return node;
  }

  function ensureStyles() {
    if (document.getElementById("docs-build-overlay-css")) { return; }
    var link = el("link");
    link.id = "docs-build-overlay-css";
    link.rel = "stylesheet";
    link.href = "/__docs-build/livereload.css";
    document.head.appendChild(link);
  }

  function clearOverlay() {
    var old = document.getElementById(OVERLAY_ID);
    if (old) { old.parentNode.removeChild(old); }
  }

  function showOverlay(problems) {
    ensureStyles();
    clearOverlay();
    var box = el("div", "docs-build-overlay");
    box.id = OVERLAY_ID;
    box.setAttribute("role", "alert");
    var panel = el("div", "docs-build-overlay-panel");
    var title = problems.length === 1 ? "1 error" : problems.length + " errors";
    panel.appendChild(el("h2", "docs-build-overlay-title",
      "Build failed: " + title + " (still showing the last good build)"));
    var SHOWN = 20; // a template error can fail every page; the terminal has the full list
    problems.slice(0, SHOWN).forEach(function (p) {
      var item = el("section", "docs-build-problem");
      var head = el("p", "docs-build-problem-head");
      head.appendChild(el("code", "docs-build-location", p.location));
      head.appendChild(el("span", "docs-build-severity", " " + p.severity + ": "));
      head.appendChild(el("span", "docs-build-message", p.message));
      item.appendChild(head);
      if (p.source_line !== null && p.source_line !== undefined && p.line) {
        var caret = new Array(Math.max(p.col, 1)).join(" ") + "^";
        item.appendChild(el("pre", "docs-build-source", p.source_line.replace(/[\r\n]+$/, "") + "\n" + caret));
      }
      panel.appendChild(item);
    });
    if (problems.length > SHOWN) {
      panel.appendChild(el("p", "docs-build-more", "… and " + (problems.length - SHOWN) + " more (see the terminal)"));
    }
    var close = el("button", "docs-build-overlay-close", "×");
    close.type = "button";
    close.setAttribute("aria-label", "Hide until the next build");
    close.addEventListener("click", clearOverlay);
    panel.appendChild(close);
    box.appendChild(panel);
    (document.body || document.documentElement).appendChild(box);
  }

  function onBuild(event) {
    var data;
    try { data = JSON.parse(event.data); } catch (e) { return; }
    // Marks the live connection (tests and curious readers can see it in the inspector).
    document.documentElement.setAttribute("data-docs-build-live", "connected");
    if (data.server !== server || affectsPage(data.changed)) {
      // The new bytes are already being served (the server publishes before it tells us).
      location.reload();
      return;
    }
    generation = data.generation;
    if (data.problems.length) { showOverlay(data.problems); } else { clearOverlay(); }
  }

  var source = null;
  function connect() {
    var url = "/__docs-build/events?server=" + encodeURIComponent(server || "") + "&since=" + generation;
    source = new EventSource(url);
    source.addEventListener("build", onBuild);
    source.onerror = function () {
      // The server restarted or stopped: reconnect with our generation so nothing is missed.
      source.close();
      setTimeout(connect, 1000);
    };
  }
  connect();
})();
