/* The QA console's pages: the queue (j/k, Enter claims) and a call (audio beside the transcript,
   decisions by keyboard, words marked as examples or near-misses). Uses window.Console (console.js). */
(function () {
  "use strict";
  var queue = document.getElementById("queue");
  if (queue) {
    Console.list("#queue tr.queue-row", function (row) {
      var form = row.querySelector("form.claim-form");
      if (form) form.submit(); else window.location = row.dataset.href;
    });
    Console.keys({"/": function () { var f = document.querySelector("#filters select, #filters input"); if (f) f.focus(); }});
    return;
  }
  var page = document.getElementById("call");
  if (!page) return;
  var audio = document.getElementById("audio");
  var segments = Array.prototype.slice.call(document.querySelectorAll("#transcript li"));

  function seek(seconds) {
    audio.currentTime = Math.max(0, Number(seconds) || 0);
    var playing = audio.play();
    if (playing && playing.catch) playing.catch(function () {});
  }
  segments.forEach(function (li) { li.addEventListener("click", function () { if (!window.getSelection().toString()) seek(li.dataset.start); }); });
  Array.prototype.forEach.call(document.querySelectorAll("button.seek"), function (button) {
    button.addEventListener("click", function (event) { event.stopPropagation(); seek(button.dataset.start); });
  });
  audio.addEventListener("timeupdate", function () {
    var t = audio.currentTime;
    segments.forEach(function (li) { li.classList.toggle("playing", t >= Number(li.dataset.start) && t < Number(li.dataset.end)); });
  });

  var list = Console.list("#violations li.violation");
  list.rows.forEach(function (row) { row.addEventListener("click", function (event) {
    if (event.target.closest("button, textarea")) return;
    seek(row.dataset.start);
  }); });

  var pendingMarks = new WeakMap();
  function marksOf(holder) { if (!pendingMarks.has(holder)) pendingMarks.set(holder, []); return pendingMarks.get(holder); }
  function markTarget() {
    var addForm = document.getElementById("add-missed");
    if (addForm && addForm.contains(document.activeElement)) return addForm;
    return list.current() || addForm;
  }
  function mark(carries) {
    var selection = window.getSelection();
    var words = selection.toString().trim();
    var node = selection.anchorNode && (selection.anchorNode.nodeType === 1 ? selection.anchorNode : selection.anchorNode.parentElement);
    var segment = node && node.closest("#transcript li");
    var target = markTarget();
    if (!words || !segment || !target) return;
    marksOf(target).push({segment: Number(segment.dataset.segment), words: words, carries: carries});
    var chip = document.createElement("span");
    chip.className = "tag";
    chip.textContent = (carries ? "+ " : "− ") + words;
    target.querySelector("[data-marks]").appendChild(chip);
    selection.removeAllRanges();
  }

  function decide(row, decision) {
    if (!row) return;
    var box = row.querySelector("[data-comment]");
    var comment = box ? box.value.trim() : "";
    if (decision === "dismiss" && !comment) {
      row.dataset.pending = "dismiss";
      box.focus();
      return;
    }
    Console.post("/console/qa/violations/" + row.dataset.violation + "/decide",
                 {decision: decision, comment: comment, marks: marksOf(row), etag: row.dataset.etag})
      .then(function (answer) {
        if (answer.httpStatus >= 400) { alert(answer.message || "Not saved"); return; }
        row.dataset.etag = answer.etag;
        var tag = row.querySelector("[data-status]");
        tag.textContent = answer.status;
        tag.className = "tag " + answer.status;
        pendingMarks.set(row, []);
        row.querySelector("[data-marks]").textContent = "";
        if (answer.finished) { window.location = answer.next_url; return; }
        list.select(list.rows.indexOf(row) + 1);
      });
  }
  list.rows.forEach(function (row) {
    Array.prototype.forEach.call(row.querySelectorAll("[data-decide]"), function (button) {
      button.addEventListener("click", function () { decide(row, button.dataset.decide); });
    });
    var box = row.querySelector("[data-comment]");
    if (box) box.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); decide(row, row.dataset.pending || "dismiss"); }
    });
  });

  var addForm = document.getElementById("add-missed");
  if (addForm) addForm.addEventListener("submit", function (event) {
    event.preventDefault();
    Console.post(page.dataset.addUrl, {criterion: addForm.criterion.value, at_s: Number(addForm.at_s.value),
                                       comment: addForm.comment.value, marks: marksOf(addForm)})
      .then(function (answer) {
        if (answer.httpStatus >= 400) { alert(answer.message || "Not saved"); return; }
        window.location.reload();
      });
  });

  Console.keys({
    c: function () { decide(list.current(), "confirm"); },
    d: function () { decide(list.current(), "dismiss"); },
    a: function () { if (addForm) { addForm.at_s.value = audio.currentTime.toFixed(1); addForm.comment.focus(); } },
    m: function () { mark(true); },
    x: function () { mark(false); },
    e: function () { var row = list.current(); if (row) seek(row.dataset.start); },
    " ": function () { if (audio.paused) audio.play(); else audio.pause(); },
    "[": function () { audio.currentTime = Math.max(0, audio.currentTime - 5); },
    "]": function () { audio.currentTime = audio.currentTime + 5; },
    q: function () { window.location = page.dataset.queueUrl; }
  });
  var baseJ = list.select;
  Console.keys({
    j: function () { var i = list.rows.indexOf(list.current()); baseJ(i + 1); var r = list.current(); if (r) audio.currentTime = Number(r.dataset.start) || 0; },
    k: function () { var i = list.rows.indexOf(list.current()); baseJ(i - 1); var r = list.current(); if (r) audio.currentTime = Number(r.dataset.start) || 0; }
  });
})();
