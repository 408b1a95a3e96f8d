// Curricula's player glue (served as /play/assets/player.js; see docs/PLAYER.md).
//
// Not a SCORM API: the API object is scorm-again's Scorm12API / Scorm2004API, loaded by the
// page before this file. This file reads the seed the server put in the page, creates the API
// for the selected SCO (seeded with its runtime data), makes it the window's API, frames the
// SCO, and wraps every commit in Curricula's commit body:
//   {"seq": n, "sco": "ITEM-1", "session": "…", "terminate": false, "cmi": renderCommitCMI(…)}
// It also sends what the content had set when the learner leaves without a commit, and gives a
// package with several SCOs a navigation list.
//
// Plain ES2017, no build step; the page's Content-Security-Policy has script-src 'self'.
(function () {
  "use strict";

  var seedElement = document.getElementById("curricula-seed");
  var frame = document.getElementById("curricula-frame");
  var nav = document.getElementById("curricula-nav");
  var statusLine = document.getElementById("curricula-status");

  function say(text) {
    if (!statusLine) return;
    statusLine.textContent = text;
    statusLine.hidden = !text;
  }

  var seed;
  try {
    seed = JSON.parse(seedElement.textContent);
  } catch (e) {
    say("This page is damaged: open the course again from where you came.");
    return;
  }
  var is2004 = seed.version === "2004";
  var Api = is2004 ? window.Scorm2004API : window.Scorm12API;
  if (typeof Api !== "function") {
    say("The course player did not load: reload the page.");
    return;
  }

  // The commits' sequence numbers: one counter for the page (all SCOs), after the last one the
  // server applied for this attempt.
  var seq = Number(seed.seq) || 0;
  var current = null; // the SCO being played: see start()
  var switching = false;

  // What this tab last sent for each SCO of this attempt, kept in sessionStorage: a reload
  // can be served before the previous page's last beacon reached the server, and then the
  // server's seed (and seq) are older than what the learner did. The newer of the two wins.
  var memoryKey = "curricula-player " + seed.commit_url;
  var memory = { attempt: seed.attempt, seq: seq, scos: {} };
  try {
    var kept = JSON.parse(window.sessionStorage.getItem(memoryKey) || "null");
    if (kept && kept.attempt === seed.attempt && Number(kept.seq) > seq && kept.scos) {
      memory = kept;
      seq = Number(kept.seq);
    }
  } catch (e) {
    // no sessionStorage (disabled or full): the server's seed alone
  }
  function keep() {
    try {
      window.sessionStorage.setItem(memoryKey, JSON.stringify(memory));
    } catch (e) {
      // best effort
    }
  }

  function randomId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return (b < 16 ? "0" : "") + b.toString(16);
      })
      .join("");
  }

  function body(state, cmi, terminate) {
    seq += 1;
    memory.seq = seq; // a sequence number is never sent twice, even when refused
    keep();
    return { seq: seq, sco: state.sco.id, session: state.session, terminate: !!terminate, cmi: cmi };
  }

  // A commit was acknowledged (or its beacon queued): what it carried is the SCO's state now
  // (a refused one changes nothing, as on the server).
  function sent(state, cmi, json) {
    state.lastSent = json;
    memory.scos[state.sco.id] = overlay(cmi);
    keep();
  }

  // The part of a commit's CMI that the next seed of the SCO carries (as the server does).
  function overlay(commitCmi) {
    var c = (commitCmi && commitCmi.cmi) || {};
    if (is2004) {
      return {
        entry: c.exit === "suspend" ? "resume" : "",
        location: c.location,
        suspend_data: c.suspend_data,
        completion_status: c.completion_status,
        success_status: c.success_status,
        progress_measure: c.progress_measure,
        score: c.score,
        total_time: c.total_time,
      };
    }
    var core = c.core || {};
    return {
      core: {
        entry: core.exit === "suspend" ? "resume" : "",
        lesson_location: core.lesson_location,
        lesson_status: core.lesson_status,
        score: core.score,
        total_time: core.total_time,
      },
      suspend_data: c.suspend_data,
    };
  }

  function defined(object) {
    var out = {};
    Object.keys(object || {}).forEach(function (k) {
      if (object[k] !== undefined && object[k] !== null) out[k] = object[k];
    });
    return out;
  }

  // Our answer: 200 {"result": true, "errorCode": 0}; a refusal 422 {"result": false,
  // "errorCode": 405|406|407|…}, whose code reaches the content; other failures (403, 413,
  // 5xx, no answer) are a general failure, 101 in 1.2 and 391 (commit failed) in 2004.
  function readAnswer(status, text) {
    var answer = null;
    try {
      answer = text ? JSON.parse(text) : null;
    } catch (e) {
      answer = null;
    }
    if (answer && Object.prototype.hasOwnProperty.call(answer, "result")) {
      var ok = answer.result === true || answer.result === "true";
      var code = typeof answer.errorCode === "number" ? answer.errorCode : ok ? 0 : 101;
      return { result: ok ? "true" : "false", errorCode: ok ? 0 : code, errorMessage: answer.errorMessage };
    }
    if (status >= 200 && status < 300) return { result: "true", errorCode: 0 };
    return { result: "false", errorCode: commitFailure };
  }

  // Set on pagehide: the page is being dismissed, when browsers drop synchronous requests, so
  // commits (content that commits in its own unload handler) go as beacons too.
  var leaving = false;
  var commitFailure = is2004 ? 391 : 101;

  // The transport of a SCO's commits, as scorm-again's IHttpService (its `httpService`
  // setting): the commit wrapped in our body; synchronous XHR as JSON, so that the content's
  // LMSCommit/Commit returns the server's answer (SCORM's model); the commit of
  // LMSFinish/Terminate, and any commit while the page is being dismissed, with
  // navigator.sendBeacon as text/plain (its answer cannot be read; queued counts as done).
  function transport(state) {
    return {
      updateSettings: function () {},
      processHttpRequest: function (url, params, immediate) {
        var terminate = !!immediate;
        var json = JSON.stringify(params);
        if (terminate) {
          state.terminated = true;
          // The content's navigation request (2004), still set while Terminate commits.
          var nav = is2004 && state.api.adl && state.api.adl.nav ? String(state.api.adl.nav.request || "") : "";
          setTimeout(function () {
            navigate(state, nav);
          }, 0);
        }
        var wire = JSON.stringify(body(state, params, terminate));
        if (terminate || leaving) {
          var queued = navigator.sendBeacon(url, new Blob([wire], { type: "text/plain;charset=UTF-8" }));
          if (queued) sent(state, params, json);
          return { result: queued ? "true" : "false", errorCode: queued ? 0 : commitFailure };
        }
        try {
          var xhr = new XMLHttpRequest();
          xhr.open("POST", url, false);
          xhr.setRequestHeader("Content-Type", "application/json;charset=UTF-8");
          xhr.send(wire);
          var answer = readAnswer(xhr.status, xhr.responseText);
          if (answer.result === "true") sent(state, params, json);
          return answer;
        } catch (e) {
          return { result: "false", errorCode: commitFailure, errorMessage: String(e && e.message) };
        }
      },
    };
  }

  function settingsFor(state) {
    return {
      lmsCommitUrl: seed.commit_url,
      dataCommitFormat: "json",
      sendFullCommit: true,
      useAsynchronousCommits: false,
      autocommit: true,
      autocommitSeconds: 60,
      logLevel: 4, // errors only
      httpService: transport(state),
      // SCORM 1.2: a SCO that never sets cmi.core.lesson_status is `completed` at LMSFinish
      // (as the SCORM 1.2 RTE has the LMS do; see untouchedStatus() and docs/PLAYER.md). No
      // effect in 2004.
      autoCompleteLessonStatus: !is2004,
    };
  }

  // scorm-again 3.4.3 starts cmi.core.lesson_status at "not attempted" and LMSInitialize then
  // takes that for a status the SCO set, so autoCompleteLessonStatus never applies. When the
  // SCO's seed carries no status (the content never set one), it is marked as not set by the
  // SCO once LMSInitialize succeeded; the SCO's own LMSSetValue of the status marks it again.
  function untouchedStatus(state, cmi) {
    var core = (cmi && cmi.cmi && cmi.cmi.core) || {};
    var seeded = core.lesson_status && core.lesson_status !== "not attempted";
    if (is2004 || seeded || typeof state.api.on !== "function") return;
    state.api.on("LMSInitialize", function () {
      if ("statusSetByModule" in state.api) state.api.statusSetByModule = false;
    });
  }

  // The seed of a SCO: the server's, or what this page's last API of it left (a SCO opened
  // again without a reload).
  function seedCmi(sco) {
    var cmi = JSON.parse(JSON.stringify(sco.cmi || {}));
    var inner = cmi.cmi && typeof cmi.cmi === "object" ? cmi.cmi : cmi;
    var learner = seed.learner || {};
    if (is2004) {
      if (inner.learner_id === undefined && learner.id !== undefined) inner.learner_id = learner.id;
      if (inner.learner_name === undefined && learner.name !== undefined) inner.learner_name = learner.name;
    } else {
      inner.core = inner.core || {};
      if (inner.core.student_id === undefined && learner.id !== undefined) inner.core.student_id = learner.id;
      if (inner.core.student_name === undefined && learner.name !== undefined) inner.core.student_name = learner.name;
    }
    var again = memory.scos[sco.id];
    if (again) {
      if (is2004) {
        Object.assign(inner, defined(again), { score: Object.assign({}, inner.score, defined(again.score)) });
      } else {
        inner.core = Object.assign(inner.core, defined(again.core), {
          score: Object.assign({}, inner.core.score, defined(again.core.score)),
        });
        if (again.suspend_data !== undefined) inner.suspend_data = again.suspend_data;
      }
    }
    return cmi;
  }

  function start(sco) {
    var state = { sco: sco, session: randomId(), lastSent: null, terminated: false, closed: false };
    state.api = new Api(settingsFor(state));
    var cmi = seedCmi(sco);
    state.api.loadFromJSON(cmi, "");
    untouchedStatus(state, cmi);
    if (is2004) window.API_1484_11 = state.api;
    else window.API = state.api;
    current = state;
    frame.hidden = false;
    if (statusLine) statusLine.className = "status";
    say("");
    markCurrent(sco.id);
    frame.title = sco.title || document.title;
    frame.src = sco.url;
  }

  function initialized(state) {
    return state.api.isInitialized() && !state.api.isTerminated();
  }

  // A final commit of what the content had set, with sendBeacon (the page is going away, so no
  // synchronous request), unless the content terminated or nothing changed since its last
  // commit.
  function beaconFinal(state) {
    if (!state || state.closed || state.terminated || !initialized(state)) return false;
    var cmi = state.api.renderCommitCMI(false);
    var json = JSON.stringify(cmi);
    if (json === state.lastSent) return false;
    var wire = JSON.stringify(body(state, cmi, false));
    var queued = navigator.sendBeacon(seed.commit_url, new Blob([wire], { type: "text/plain" }));
    if (queued) sent(state, cmi, json);
    return queued;
  }

  // Leaving a SCO for another: unload its page first (content usually finishes itself on
  // unload), then commit through the API what it set if it did not terminate, as an LMS
  // does when a SCO is taken away; no terminate on the content's behalf.
  function leave(state, then) {
    if (!state) return then();
    var done = false;
    function finish() {
      if (done) return;
      done = true;
      if (!state.terminated && initialized(state)) {
        var cmi = JSON.stringify(state.api.renderCommitCMI(false));
        if (cmi !== state.lastSent) {
          var result = is2004 ? state.api.Commit("") : state.api.LMSCommit("");
          if (String(result) !== "true") beaconFinal(state);
        }
      }
      state.api.clearScheduledCommit();
      // Opened again in this page, the SCO shows the time spent in it so far.
      var left = memory.scos[state.sco.id];
      if (left) {
        var total = state.api.cmi.getCurrentTotalTime();
        if (is2004) left.total_time = total;
        else left.core.total_time = total;
        keep();
      }
      state.closed = true;
      then();
    }
    frame.addEventListener("load", finish, { once: true });
    setTimeout(finish, 3000);
    frame.src = "about:blank";
  }

  // After a SCO terminated: what its navigation request (adl.nav.request, SCORM 2004) asks for.
  // continue/previous/choice open another SCO of the list; exit, exitAll, suspendAll,
  // abandon(All) take the content away, as the content expects ("the LMS will take the content
  // away"); no request (and SCORM 1.2) leaves the content's own last page on screen.
  function navigate(state, request) {
    if (state !== current || switching || leaving || !request || request === "_none_") return;
    var index = seed.scos.indexOf(state.sco);
    var target = /^\{target=([^}]+)\}(choice|jump)$/.exec(request);
    if (request === "continue" && index + 1 < seed.scos.length) open(seed.scos[index + 1].id);
    else if (request === "previous" && index > 0) open(seed.scos[index - 1].id);
    else if (target) open(target[1]);
    else if (/^(continue|exit|exitAll|suspendAll|abandon|abandonAll)$/.test(request)) {
      switching = true;
      leave(state, function () {
        switching = false;
        current = null;
        markCurrent("");
        frame.hidden = true;
        if (statusLine) statusLine.className = "status final";
        say(
          request === "suspendAll"
            ? "You have left the course; it resumes where you stopped when you open it again. You can close this page."
            : "You have left the course. What you did is saved; you can close this page."
        );
      });
    }
  }

  function open(id) {
    if (switching || (current && current.sco.id === id)) return;
    var sco = seed.scos.filter(function (s) {
      return s.id === id;
    })[0];
    if (!sco) return;
    switching = true;
    leave(current, function () {
      switching = false;
      start(sco);
    });
  }

  function markCurrent(id) {
    var buttons = nav.querySelectorAll("button");
    for (var i = 0; i < buttons.length; i++) {
      if (buttons[i].dataset.sco === id) buttons[i].setAttribute("aria-current", "page");
      else buttons[i].removeAttribute("aria-current");
    }
  }

  function buildNav() {
    if (seed.scos.length < 2) return;
    var list = nav.querySelector("ul");
    seed.scos.forEach(function (sco) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = sco.title || sco.id;
      button.dataset.sco = sco.id;
      button.addEventListener("click", function () {
        open(sco.id);
      });
      item.appendChild(button);
      list.appendChild(item);
    });
    nav.hidden = false;
  }

  // Leaving the page without a commit (tab closed, navigated away, reload, app switched away).
  window.addEventListener("pagehide", function () {
    leaving = true;
    beaconFinal(current);
  });
  window.addEventListener("pageshow", function () {
    leaving = false; // back from the back/forward cache
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") beaconFinal(current);
  });

  if (!Array.isArray(seed.scos) || seed.scos.length === 0) {
    say("This course has nothing to launch.");
    return;
  }
  buildNav();
  var first =
    seed.scos.filter(function (s) {
      return s.id === seed.start;
    })[0] || seed.scos[0];
  start(first);

  // For tests and support: the page's state, read-only.
  window.curriculaPlayer = {
    current: function () {
      return current && { sco: current.sco.id, session: current.session, terminated: current.terminated };
    },
    seq: function () {
      return seq;
    },
    open: open,
  };
})();
