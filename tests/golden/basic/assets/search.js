// Site search: the box in the top bar looks models up in search-index.json (written by
// docs-build next to index.html). The index is fetched once, on first use; results are links.
(function () {
  "use strict";
  var MAX_RESULTS = 8;

  function norm(text) {
    return (text || "").toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
  }

  function score(page, terms) {
    var title = norm(page.title);
    var name = norm(page.name);
    var rest = norm(page.description + " " + page.task + " " + page.flags.join(" "));
    var total = 0;
    for (var i = 0; i < terms.length; i++) {
      var t = terms[i];
      if (title.indexOf(t) === 0) { total += 8; }
      else if (title.indexOf(t) !== -1 || name.indexOf(t) !== -1) { total += 4; }
      else if (rest.indexOf(t) !== -1) { total += 1; }
      else { return 0; }
    }
    return total;
  }

  function search(pages, query) {
    var terms = norm(query).split(/\s+/).filter(Boolean);
    if (!terms.length) { return []; }
    var hits = [];
    pages.forEach(function (page, order) {
      var s = score(page, terms);
      if (s) { hits.push({ page: page, score: s, order: order }); }
    });
    hits.sort(function (a, b) { return b.score - a.score || a.order - b.order; });
    return hits.slice(0, MAX_RESULTS).map(function (hit) { return hit.page; });
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text) { node.textContent = text; }
    return node;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector(".site-search");
    if (!form || !window.fetch) { return; }
    var root = form.getAttribute("data-root") || "";
    var input = form.querySelector("input");
    var list = form.querySelector(".search-results");
    var pages = null;
    var loading = null;
    var active = -1;
    form.hidden = false;

    function load() {
      if (!loading) {
        loading = fetch(root + "search-index.json")
          .then(function (response) {
            if (!response.ok) { throw new Error("HTTP " + response.status); }
            return response.json();
          })
          .then(function (data) { pages = data.pages || []; })
          .catch(function () { pages = null; });
      }
      return loading;
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      active = -1;
    }

    function highlight(index) {
      var options = list.querySelectorAll("[role=option]");
      options.forEach(function (o, i) { o.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
      if (options[index]) { options[index].scrollIntoView({ block: "nearest" }); }
    }

    function render() {
      list.textContent = "";
      var query = input.value.trim();
      if (!query) { close(); return; }
      if (pages === null) {
        list.appendChild(el("li", "search-note", "Search needs the site to be served over HTTP."));
      } else {
        var hits = search(pages, query);
        if (!hits.length) { list.appendChild(el("li", "search-note", "No model matches “" + query + "”.")); }
        hits.forEach(function (page, i) {
          var item = el("li");
          item.setAttribute("role", "option");
          item.id = "site-search-option-" + i;
          var link = el("a", "search-hit");
          link.href = root + page.url;
          link.appendChild(el("span", "search-title", page.title));
          link.appendChild(el("span", "search-task", page.task));
          page.flags.forEach(function (flag) { link.appendChild(el("span", "badge badge-" + flag, flag.replace("-", " "))); });
          link.appendChild(el("span", "search-desc", page.description));
          item.appendChild(link);
          list.appendChild(item);
        });
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      highlight(-1);
    }

    input.addEventListener("focus", load);
    input.addEventListener("input", function () { load().then(render); });
    input.addEventListener("keydown", function (event) {
      var count = list.querySelectorAll("[role=option]").length;
      if (event.key === "ArrowDown" && count) { event.preventDefault(); highlight((active + 1) % count); }
      else if (event.key === "ArrowUp" && count) { event.preventDefault(); highlight((active - 1 + count) % count); }
      else if (event.key === "Escape") { close(); input.blur(); }
      else if (event.key === "Enter") {
        event.preventDefault();
        var target = list.querySelectorAll("[role=option] a")[active < 0 ? 0 : active];
        if (target) { window.location.href = target.href; }
      }
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    document.addEventListener("click", function (event) { if (!form.contains(event.target)) { close(); } });
    document.addEventListener("keydown", function (event) {
      var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement && document.activeElement.tagName);
      if (event.key === "/" && !typing) { event.preventDefault(); input.focus(); }
    });
  });
})();
