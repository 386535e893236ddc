// Catalog filters: task, flags (LoRA, Beta, Function calling) and free text, all in the browser.
// The page lists every model without JavaScript; this script only hides what does not match.
// It reads the catalog as rendered from index.md (one h2 per task, one list item per model,
// badges as .badge-<kind> spans), so a project's own index.md.j2 keeps working.
(function () {
  "use strict";

  function norm(text) {
    return (text || "").toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
  }

  function headingText(h2) {
    var copy = h2.cloneNode(true);
    copy.querySelectorAll(".header-anchor").forEach(function (a) { a.remove(); });
    return copy.textContent.trim();
  }

  // Wrap each h2 and the nodes up to the next h2 in a <section>, so a group hides as one.
  function collectGroups(body, options) {
    var groups = [];
    var byHeading = {};
    options.forEach(function (opt) { byHeading[opt.getAttribute("data-heading")] = opt.value; });
    body.querySelectorAll(":scope > h2").forEach(function (h2) {
      var section = document.createElement("section");
      section.className = "catalog-group";
      h2.parentNode.insertBefore(section, h2);
      var node = h2;
      while (node && !(node !== h2 && node.tagName === "H2")) {
        var next = node.nextElementSibling;
        section.appendChild(node);
        node = next;
      }
      var task = byHeading[headingText(h2)] || "";
      section.setAttribute("data-task", task);
      var items = Array.prototype.map.call(section.querySelectorAll("li"), function (li) {
        var flags = {};
        li.querySelectorAll(".badge").forEach(function (badge) {
          badge.classList.forEach(function (cls) {
            if (cls.indexOf("badge-") === 0) { flags[cls.slice(6)] = true; }
          });
        });
        return { el: li, flags: flags, text: norm(li.textContent + " " + headingText(h2)) };
      });
      groups.push({ el: section, task: task, items: items });
    });
    return groups;
  }

  function readState(form) {
    var flags = [];
    form.querySelectorAll("input[name=flag]:checked").forEach(function (box) { flags.push(box.value); });
    return {
      q: form.elements.q.value.trim(),
      task: form.elements.task.value,
      flags: flags,
    };
  }

  function writeState(form, params) {
    form.elements.q.value = params.get("q") || "";
    var task = params.get("task") || "";
    if (form.querySelector('select[name=task] option[value="' + CSS.escape(task) + '"]')) {
      form.elements.task.value = task;
    }
    var flags = (params.get("flags") || "").split(",");
    form.querySelectorAll("input[name=flag]").forEach(function (box) {
      box.checked = flags.indexOf(box.value) !== -1;
    });
  }

  function apply(form, groups, total) {
    var state = readState(form);
    var terms = norm(state.q).split(/\s+/).filter(Boolean);
    var shown = 0;
    groups.forEach(function (group) {
      var groupShown = 0;
      var taskOk = !state.task || group.task === state.task;
      group.items.forEach(function (item) {
        var ok = taskOk &&
          state.flags.every(function (f) { return item.flags[f]; }) &&
          terms.every(function (t) { return item.text.indexOf(t) !== -1; });
        item.el.hidden = !ok;
        if (ok) { groupShown += 1; }
      });
      group.el.hidden = groupShown === 0;
      shown += groupShown;
    });
    var count = form.querySelector(".catalog-count");
    count.textContent = shown === total ? total + " models" : "Showing " + shown + " of " + total + " models";
    document.querySelector(".catalog-empty").hidden = shown !== 0;
    var params = new URLSearchParams();
    if (state.q) { params.set("q", state.q); }
    if (state.task) { params.set("task", state.task); }
    if (state.flags.length) { params.set("flags", state.flags.join(",")); }
    var query = params.toString();
    history.replaceState(null, "", query ? "?" + query : location.pathname + location.hash);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector(".catalog-tools");
    var body = document.querySelector(".catalog-body");
    if (!form || !body) { return; }
    var groups = collectGroups(body, Array.prototype.slice.call(form.querySelectorAll("option[data-heading]")));
    var total = groups.reduce(function (n, g) { return n + g.items.length; }, 0);
    // The bar belongs under the page's title and introduction, right above the first task.
    var firstGroup = body.querySelector(".catalog-group");
    if (firstGroup) { body.insertBefore(form, firstGroup); }
    writeState(form, new URLSearchParams(location.search));
    form.hidden = false;
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    form.addEventListener("input", function () { apply(form, groups, total); });
    form.addEventListener("change", function () { apply(form, groups, total); });
    apply(form, groups, total);
  });
})();
