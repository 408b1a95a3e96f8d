// DEVELOPMENT ONLY, not part of the service or of the tests: a throwaway stand-in for
// Curricula's /play routes, to try player.js in a browser without the server.
//
//   SCORM_AGAIN_DIR=…/node_modules/scorm-again node dev/server.mjs [port]
//
// Serves, on http://127.0.0.1:PORT (it prints the port on its first line):
//   GET  /play/{p12|p2004|multi}          a player page like assets.rs's player_page, seeded
//                                          from what earlier commits left (resume after a suspend)
//   POST /play/{player}/commit             logs the body, answers {"result": true, "errorCode": 0}
//   GET  /dev/commits                      the logged commits; POST /dev/reset forgets everything
//   GET  /play/assets/…                    scorm-again from SCORM_AGAIN_DIR, player.js/.css
//   GET  /content/{sco}.html               test content (content.html + content.js)
//   GET  /content/pkg/{name}/…             files of an unpacked package (DEV_PACKAGES, below)
// The page carries assets.rs's PLAYER_POLICY, read from the source.
import { createServer } from "node:http";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const crate = join(here, "..", "..", "..");
const scormAgain = process.env.SCORM_AGAIN_DIR;
if (!scormAgain) {
  console.error("set SCORM_AGAIN_DIR to an unpacked scorm-again package");
  process.exit(2);
}
const version = JSON.parse(readFileSync(join(scormAgain, "package.json"), "utf8")).version;
const assetsRs = readFileSync(join(crate, "src", "api", "player", "assets.rs"), "utf8");
const policy = assetsRs
  .match(/pub const PLAYER_POLICY: &str = "([^;]*(?:;[^"]*)*)";/)[1]
  .replace(/\\\n\s*/g, "");

const players = {
  p12: { version: "1.2", scos: [{ id: "SCO-1", title: "Lesson 1", url: "/content/sco1.html?v=12" }] },
  p2004: { version: "2004", scos: [{ id: "SCO-1", title: "Lesson 1", url: "/content/sco1.html?v=2004" }] },
  multi: {
    version: "1.2",
    scos: [
      { id: "SCO-1", title: "Lesson 1", url: "/content/sco1.html?v=12" },
      { id: "SCO-2", title: "Lesson 2", url: "/content/sco2.html?v=12" },
    ],
  },
};
// DEV_PACKAGES=file.json adds unpacked packages: {"name": {"version": "1.2"|"2004", "dir":
// "/abs/unpacked", "scos": [{"id", "title", "url": "/content/pkg/name/launch.html?…"}]}},
// played at /play/name, their files under /content/pkg/name/.
const packages = process.env.DEV_PACKAGES ? JSON.parse(readFileSync(process.env.DEV_PACKAGES, "utf8")) : {};
for (const [name, p] of Object.entries(packages)) players[name] = { version: p.version, scos: p.scos };
let commits = [];
let lastSeq = {}; // player -> last applied seq
let stored = {}; // player/sco -> runtime the next seed carries

function cmiSeed(player, sco) {
  const s = stored[`${player}/${sco}`];
  const extra = packages[player]?.cmi ?? {}; // e.g. the manifest's objectives: {"objectives": [{"id": …}]}
  if (players[player].version === "2004") {
    return s
      ? { entry: s.exit === "suspend" ? "resume" : "", location: s.location, suspend_data: s.suspend_data, completion_status: s.completion_status }
      : { entry: "ab-initio", completion_threshold: "0.8", scaled_passing_score: "0.7", ...extra };
  }
  return s
    ? { core: { entry: s.exit === "suspend" ? "resume" : "", lesson_location: s.location, lesson_status: s.status }, suspend_data: s.suspend_data }
    : { core: { entry: "ab-initio", credit: "credit", lesson_mode: "normal" }, student_data: { mastery_score: "80" } };
}

function remember(player, body) {
  if (!body || typeof body.seq !== "number" || body.seq <= (lastSeq[player] ?? 0)) return;
  lastSeq[player] = body.seq;
  const cmi = body.cmi && body.cmi.cmi;
  if (!cmi) return;
  const v2004 = players[player].version === "2004";
  stored[`${player}/${body.sco}`] = v2004
    ? { exit: cmi.exit, location: cmi.location, suspend_data: cmi.suspend_data, completion_status: cmi.completion_status }
    : { exit: cmi.core.exit, location: cmi.core.lesson_location, suspend_data: cmi.suspend_data, status: cmi.core.lesson_status };
}

function escapeSeed(json) {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

function playerPage(name) {
  const p = players[name];
  const seed = {
    version: p.version,
    commit_url: `/play/${name}/commit`,
    seq: lastSeq[name] ?? 0,
    attempt: 1,
    learner: { id: "jon.jonsson", name: "Jonsson, Jon" },
    start: p.scos[0].id,
    scos: p.scos.map((s) => ({ ...s, cmi: cmiSeed(name, s.id) })),
  };
  const script = p.version === "2004" ? "scorm2004.min.js" : "scorm12.min.js";
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<title>Dev player ${name}</title>
<link rel="stylesheet" href="/play/assets/player.css">
<script type="application/json" id="curricula-seed">${escapeSeed(JSON.stringify(seed))}</script>
<script defer src="/play/assets/scorm-again/${version}/${script}"></script>
<script defer src="/play/assets/player.js"></script>
</head>
<body class="player">
<noscript><main class="notice"><h1>Dev player</h1><p>This course needs JavaScript.</p></main></noscript>
<div id="curricula-player" class="layout">
<nav id="curricula-nav" class="nav" aria-label="Lessons" hidden><ul></ul></nav>
<iframe id="curricula-frame" class="frame" title="content"></iframe>
</div>
<p id="curricula-status" class="status" role="status" hidden></p>
</body>
</html>
`;
}

function send(res, status, type, body, headers = {}) {
  res.writeHead(status, { "content-type": type, "x-content-type-options": "nosniff", ...headers });
  res.end(body);
}

const server = createServer((req, res) => {
  const url = new URL(req.url, "http://x");
  const path = url.pathname;
  let m;
  if (req.method === "POST" && (m = path.match(/^\/play\/([a-z0-9]+)\/commit$/))) {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let body = null;
      try {
        body = JSON.parse(text);
      } catch (e) {
        body = text;
      }
      commits.push({ player: m[1], content_type: req.headers["content-type"], body, at: Date.now() });
      // suspend_data "REFUSE…" / "FORBID…": the server's refusal (422) and a bad token (403).
      const suspend = String(body?.cmi?.cmi?.suspend_data ?? "");
      if (suspend.startsWith("REFUSE")) {
        return send(res, 422, "application/json", JSON.stringify({ result: false, errorCode: 405, errorMessage: "cmi.suspend_data: refused" }));
      }
      if (suspend.startsWith("FORBID")) return send(res, 403, "application/json", JSON.stringify({ errorMessage: "bad token" }));
      remember(m[1], body);
      send(res, 200, "application/json", JSON.stringify({ result: true, errorCode: 0 }));
    });
    return;
  }
  if (req.method === "POST" && path === "/dev/reset") {
    commits = [];
    lastSeq = {};
    stored = {};
    return send(res, 200, "application/json", "{}");
  }
  if (path === "/dev/commits") return send(res, 200, "application/json", JSON.stringify(commits));
  if ((m = path.match(/^\/play\/assets\/scorm-again\/([^/]+)\/([^/]+)$/))) {
    const files = { "scorm12.min.js": "dist/scorm12.min.js", "scorm2004.min.js": "dist/scorm2004.min.js", LICENSE: "LICENSE" };
    if (m[1] !== version || !files[m[2]]) return send(res, 404, "text/plain", "no");
    const type = m[2] === "LICENSE" ? "text/plain; charset=utf-8" : "text/javascript; charset=utf-8";
    return send(res, 200, type, readFileSync(join(scormAgain, files[m[2]])));
  }
  if (path === "/play/assets/player.js") return send(res, 200, "text/javascript; charset=utf-8", readFileSync(join(crate, "player", "player.js")));
  if (path === "/play/assets/player.css") return send(res, 200, "text/css; charset=utf-8", readFileSync(join(crate, "player", "player.css")));
  if ((m = path.match(/^\/play\/([a-z0-9]+)$/)) && players[m[1]]) {
    return send(res, 200, "text/html; charset=utf-8", playerPage(m[1]), { "content-security-policy": policy, "cache-control": "no-store" });
  }
  if ((m = path.match(/^\/content\/pkg\/([a-z0-9]+)\/(.+)$/)) && packages[m[1]]) {
    const file = join(packages[m[1]].dir, decodeURIComponent(m[2]));
    if (!file.startsWith(packages[m[1]].dir + "/") || !existsSync(file)) return send(res, 404, "text/plain", "not found");
    const types = { html: "text/html", htm: "text/html", js: "text/javascript", css: "text/css", png: "image/png", jpg: "image/jpeg", gif: "image/gif", xml: "application/xml", swf: "application/x-shockwave-flash" };
    return send(res, 200, types[file.split(".").pop().toLowerCase()] ?? "application/octet-stream", readFileSync(file));
  }
  if (/^\/content\/sco[12]\.html$/.test(path)) return send(res, 200, "text/html; charset=utf-8", readFileSync(join(here, "content.html")));
  if (path === "/content/content.js") return send(res, 200, "text/javascript; charset=utf-8", readFileSync(join(here, "content.js")));
  send(res, 404, "text/plain", "not found");
});
server.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => {
  console.log(`http://127.0.0.1:${server.address().port}`);
});
