// DEVELOPMENT ONLY: test content that calls the SCORM API like real content does
// (LMSInitialize/Initialize on load; the test drives the rest through window.sco).
(function () {
  "use strict";
  var v2004 = new URLSearchParams(location.search).get("v") === "2004";
  function find(win, name) {
    for (var i = 0; i < 10 && win; i++) {
      if (win[name]) return win[name];
      if (win.parent === win) break;
      win = win.parent;
    }
    return null;
  }
  var api = find(window, v2004 ? "API_1484_11" : "API");
  var sco = (window.sco = { version: v2004 ? "2004" : "1.2", found: !!api, log: [] });
  function call(fn) {
    var args = Array.prototype.slice.call(arguments, 1);
    var value = api[fn].apply(api, args);
    var error = api[v2004 ? "GetLastError" : "LMSGetLastError"]();
    sco.log.push([fn, args.map(function (a) { return String(a).slice(0, 40); }), String(value), String(error)]);
    var last = document.getElementById("last");
    if (last) last.textContent = fn + "(" + args.map(function (a) { return String(a).slice(0, 30); }).join(", ") + ") = " + value + ", error " + error;
    return { value: String(value), error: String(error) };
  }
  var el = v2004
    ? { location: "cmi.location", suspend: "cmi.suspend_data", entry: "cmi.entry", exit: "cmi.exit", time: "cmi.session_time", learner: "cmi.learner_name" }
    : { location: "cmi.core.lesson_location", suspend: "cmi.suspend_data", entry: "cmi.core.entry", exit: "cmi.core.exit", time: "cmi.core.session_time", learner: "cmi.core.student_name" };
  sco.el = el;
  sco.init = function () { return call(v2004 ? "Initialize" : "LMSInitialize", ""); };
  sco.get = function (k) { return call(v2004 ? "GetValue" : "LMSGetValue", k).value; };
  sco.set = function (k, v) { return call(v2004 ? "SetValue" : "LMSSetValue", k, v); };
  sco.commit = function () { return call(v2004 ? "Commit" : "LMSCommit", ""); };
  sco.finish = function () { return call(v2004 ? "Terminate" : "LMSFinish", ""); };
  // What a lesson sets: location, suspend_data, score, status, session time.
  sco.lesson = function (location, suspend, score, done) {
    var r = [];
    r.push(sco.set(el.location, location));
    r.push(sco.set(el.suspend, suspend));
    if (v2004) {
      r.push(sco.set("cmi.score.raw", String(score)));
      r.push(sco.set("cmi.score.min", "0"));
      r.push(sco.set("cmi.score.max", "100"));
      r.push(sco.set("cmi.score.scaled", String(score / 100)));
      r.push(sco.set("cmi.completion_status", done ? "completed" : "incomplete"));
      if (done) r.push(sco.set("cmi.success_status", score >= 70 ? "passed" : "failed"));
      r.push(sco.set("cmi.session_time", "PT1M30S"));
    } else {
      r.push(sco.set("cmi.core.score.raw", String(score)));
      r.push(sco.set("cmi.core.score.min", "0"));
      r.push(sco.set("cmi.core.score.max", "100"));
      r.push(sco.set("cmi.core.lesson_status", done ? (score >= 80 ? "passed" : "failed") : "incomplete"));
      r.push(sco.set("cmi.core.session_time", "00:01:30"));
    }
    return r.every(function (x) { return x.value === "true"; }) ? "ok" : JSON.stringify(r);
  };
  // Content that records on its way out: sco.unloadWith = ["commit"] or ["finish"].
  sco.unloadWith = null;
  window.addEventListener("pagehide", function () {
    if (!sco.unloadWith) return;
    sco.set(el.location, "set-in-unload");
    if (sco.unloadWith.indexOf("commit") >= 0) sco.commit();
    if (sco.unloadWith.indexOf("finish") >= 0) sco.finish();
  });
  function start() {
    if (!api) {
      document.getElementById("start").textContent = "no API found";
      return;
    }
    sco.initResult = sco.init();
    sco.start = { entry: sco.get(el.entry), location: sco.get(el.location), suspend_data: sco.get(el.suspend), learner: sco.get(el.learner) };
    document.getElementById("title").textContent = "Test SCO (" + sco.version + ") " + location.pathname.split("/").pop();
    document.getElementById("start").textContent = JSON.stringify({ entry: sco.start.entry, location: sco.start.location, suspend_data: sco.start.suspend_data.slice(0, 40), learner: sco.start.learner });
    sco.ready = true;
  }
  start();
})();
