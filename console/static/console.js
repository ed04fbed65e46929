/* Fieldrep staff consoles: the one shared script (no build step, no CDN).
   Console.post(url, body): a JSON fetch carrying the CSRF token; Console.keys({k: fn}): shortcuts that
   stay quiet while typing; Console.list(selector): j/k moves a selection through rows, Enter opens. */
(function () {
  "use strict";
  var token = document.querySelector('meta[name="csrf-token"]').content;

  function typing(event) {
    var t = event.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }

  var handlers = {};
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    var handler = handlers[event.key];
    if (handler) {
      event.preventDefault();
      handler(event);
    }
  });

  var help = document.getElementById("help");
  function toggleHelp() { help.hidden = !help.hidden; }
  handlers["?"] = toggleHelp;
  var helpButton = document.querySelector("[data-help]");
  if (helpButton) helpButton.addEventListener("click", toggleHelp);

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": token},
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        data.httpStatus = response.status;
        return data;
      });
    });
  }

  function list(selector, onOpen) {
    var rows = Array.prototype.slice.call(document.querySelectorAll(selector));
    var index = rows.findIndex(function (row) { return row.classList.contains("selected"); });
    function select(i) {
      if (!rows.length) return;
      index = Math.max(0, Math.min(rows.length - 1, i));
      rows.forEach(function (row, n) { row.classList.toggle("selected", n === index); });
      rows[index].scrollIntoView({block: "nearest"});
    }
    rows.forEach(function (row, n) { row.addEventListener("click", function () { select(n); }); });
    if (rows.length && index < 0) select(0);
    handlers.j = function () { select(index + 1); };
    handlers.k = function () { select(index - 1); };
    if (onOpen) handlers.Enter = handlers.o = function () { if (rows[index]) onOpen(rows[index]); };
    return {current: function () { return rows[index]; }, select: select, rows: rows};
  }

  window.Console = {
    post: post, list: list, csrf: token,
    keys: function (map) { Object.keys(map).forEach(function (key) { handlers[key] = map[key]; }); }
  };
})();
