// A small driver of Debian's chromium for the player's browser tests (docs/PLAYER.md).
//
//   node harness.mjs scenario.json        (or "-" to read the scenario from standard input)
//
// prints one JSON object on standard output and exits 0 when every step passed, 1 when one
// failed (the rest are skipped), 2 on a bad scenario or when chromium cannot start.
//
// The scenario:
//   {
//     "url": "http://…/play/TOKEN",        opened first (optional: start with a goto step)
//     "timeout_ms": 60000,                  the whole run (default 60 s)
//     "step_timeout_ms": 15000,             each step's default (default 15 s)
//     "commit_path": "/commit",             POSTs whose path ends so are recorded as commits
//     "javascript": false,                  pages' scripts off (the <noscript> text); default on
//     "dialogs": "accept",                  how alert/confirm/prompt are answered: "dismiss"
//                                           (default: confirm() is false) or "accept"
//     "steps": [ … ]
//   }
// Steps ("frame": true runs in the content frame, the #curricula-frame iframe):
//   {"action": "goto", "url": "…"}                   open a URL in the current page (a new one if closed)
//   {"action": "wait_frame", "url_contains": "…"}    until the content frame shows such a URL and has loaded
//   {"action": "eval", "expression": "…", "frame": true}          value → the step's "value"
//   {"action": "wait_for", "expression": "…", "frame": true}      until the expression is truthy
//   {"action": "click", "selector": "…", "frame": false}
//   {"action": "click_nav", "title": "Lesson 2"}     a SCO of the player's navigation list
//   {"action": "reload"}                             reload the player page (pagehide fires)
//   {"action": "close"}                              close the page as a tab is closed: no
//                                                    beforeunload prompt, pagehide runs
//   {"action": "wait_commits", "count": 3}           until at least that many commits were sent
//   {"action": "sleep", "ms": 500}
//   {"action": "screenshot", "path": "/tmp/x.png"}
//   {"action": "text", "selector": "body"}            the element's innerText → "value"
//   {"action": "dialogs", "answer": "accept"}        how the next dialogs are answered
// Output: {"ok", "steps": [{"action", "ok", "ms", "value"?, "error"?}], "commits": [{"url",
// "type" (fetch|xhr|ping…), "content_type", "body" (parsed JSON, else the text), "status"?}],
// "console": […], "page_errors": […], "dialogs": [{"type", "message", "answer"}],
// "chromium": "version"}.
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";

// Exits once the output is flushed (a pipe takes 64 KiB at a time; exiting at once cuts it).
async function emit(object, code) {
  await new Promise((resolve) => process.stdout.write(JSON.stringify(object) + "\n", resolve));
  process.exit(code);
}

async function fail(code, message) {
  await emit({ ok: false, error: message }, code);
}

const arg = process.argv[2];
if (!arg) await fail(2, "usage: node harness.mjs scenario.json");
let scenario;
try {
  scenario = JSON.parse(readFileSync(arg === "-" ? 0 : arg, "utf8"));
} catch (e) {
  await fail(2, `cannot read the scenario: ${e.message}`);
}
const total = scenario.timeout_ms ?? 60000;
const stepTimeout = scenario.step_timeout_ms ?? 15000;
const commitPath = scenario.commit_path ?? "/commit";
const steps = Array.isArray(scenario.steps) ? scenario.steps : [];

const out = { ok: true, steps: [], commits: [], console: [], page_errors: [], dialogs: [], chromium: null };
let dialogAnswer = scenario.dialogs === "accept" ? "accept" : "dismiss";
let browser;
const overall = setTimeout(() => {
  out.ok = false;
  out.error = `the scenario took longer than ${total} ms`;
  finish(1);
}, total);

let finished = false;
async function finish(code) {
  if (finished) return;
  finished = true;
  clearTimeout(overall);
  try {
    if (browser) await Promise.race([browser.close(), new Promise((r) => setTimeout(r, 5000))]);
  } catch (e) {
    // closing is best effort
  }
  await emit(out, code);
}

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: isRoot ? ["--no-sandbox"] : [],
    timeout: stepTimeout,
  });
} catch (e) {
  out.ok = false;
  out.error = `chromium did not start (set CHROMIUM to its path; Debian: apt-get install chromium): ${e.message}`;
  clearTimeout(overall);
  await emit(out, 2);
}
out.chromium = browser.version();
const context = await browser.newContext({
  viewport: { width: 1100, height: 700 },
  javaScriptEnabled: scenario.javascript !== false,
});

const commits = new Map();
function isCommit(request) {
  if (request.method() !== "POST") return false;
  try {
    return new URL(request.url()).pathname.endsWith(commitPath);
  } catch (e) {
    return false;
  }
}
context.on("request", (request) => {
  if (!isCommit(request)) return;
  const text = request.postData() ?? "";
  let body = text;
  try {
    body = JSON.parse(text);
  } catch (e) {
    // not JSON: keep the text
  }
  const record = {
    url: new URL(request.url()).pathname,
    type: request.resourceType(),
    content_type: request.headers()["content-type"] ?? null,
    body,
  };
  commits.set(request, record);
  out.commits.push(record);
});
context.on("requestfinished", async (request) => {
  const record = commits.get(request);
  if (!record) return;
  try {
    const response = await request.response();
    if (response) record.status = response.status();
  } catch (e) {
    // the page may be gone
  }
});
context.on("requestfailed", (request) => {
  const record = commits.get(request);
  if (record) record.failure = request.failure()?.errorText ?? "failed";
});

let page = null;
async function newPage() {
  page = await context.newPage();
  page.setDefaultTimeout(stepTimeout);
  page.on("console", (m) => out.console.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => out.page_errors.push(String(e)));
  // Dialogs of the page and of its frames (content asks confirm() questions, or alerts errors).
  page.on("dialog", async (dialog) => {
    out.dialogs.push({ type: dialog.type(), message: dialog.message(), answer: dialogAnswer });
    try {
      if (dialogAnswer === "accept") await dialog.accept();
      else await dialog.dismiss();
    } catch (e) {
      // the page may be gone
    }
  });
  return page;
}

async function contentFrame() {
  const handle = await page.waitForSelector("#curricula-frame", { state: "attached" });
  const frame = await handle.contentFrame();
  if (!frame) throw new Error("the page has no content frame");
  return frame;
}

async function target(step) {
  return step.frame ? await contentFrame() : page;
}

async function until(predicate, timeout, what) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      if (await predicate()) return;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}${last ? ` (${last.message})` : ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function run(step) {
  const timeout = step.timeout_ms ?? stepTimeout;
  if (!page && !["goto", "wait_commits", "sleep", "dialogs"].includes(step.action)) {
    throw new Error("no page is open (the scenario closed it; use goto)");
  }
  switch (step.action) {
    case "goto":
      if (!page) await newPage();
      await page.goto(step.url, { timeout, waitUntil: "load" });
      return undefined;
    case "wait_frame":
      await until(
        async () => {
          const frame = await contentFrame();
          const url = frame.url();
          if (!url || url === "about:blank" || (step.url_contains && !url.includes(step.url_contains))) return false;
          return (await frame.evaluate(() => document.readyState)) === "complete";
        },
        timeout,
        `the content frame${step.url_contains ? ` at …${step.url_contains}…` : ""}`
      );
      return (await contentFrame()).url();
    case "eval":
      return await (await target(step)).evaluate(step.expression);
    case "wait_for":
      await until(async () => await (await target(step)).evaluate(step.expression), timeout, step.expression);
      return undefined;
    case "click":
      await (await target(step)).click(step.selector, { timeout });
      return undefined;
    case "click_nav":
      await page.click(`#curricula-nav button:text-is(${JSON.stringify(step.title)})`, { timeout });
      return undefined;
    case "reload":
      await page.reload({ timeout, waitUntil: "load" });
      return undefined;
    case "close":
      await page.close({ runBeforeUnload: false });
      page = null;
      return undefined;
    case "wait_commits":
      await until(async () => out.commits.length >= step.count, timeout, `${step.count} commits (${out.commits.length} so far)`);
      return out.commits.length;
    case "sleep":
      await new Promise((r) => setTimeout(r, step.ms ?? 0));
      return undefined;
    case "screenshot":
      await page.screenshot({ path: step.path, fullPage: false, timeout });
      return step.path;
    case "text":
      return await (await target(step)).innerText(step.selector ?? "body", { timeout });
    case "dialogs":
      dialogAnswer = step.answer === "accept" ? "accept" : "dismiss";
      return undefined;
    default:
      throw new Error(`unknown action ${JSON.stringify(step.action)}`);
  }
}

try {
  if (scenario.url) {
    await newPage();
    await page.goto(scenario.url, { timeout: stepTimeout, waitUntil: "load" });
  }
} catch (e) {
  out.ok = false;
  out.error = `cannot open ${scenario.url}: ${e.message}`;
  await finish(1);
}

for (const step of steps) {
  const started = Date.now();
  const result = { action: step.action };
  if (step.name) result.name = step.name;
  try {
    const value = await run(step);
    if (value !== undefined) result.value = value;
    result.ok = true;
  } catch (e) {
    result.ok = false;
    result.error = e.message.split("\n")[0];
    out.ok = false;
  }
  result.ms = Date.now() - started;
  out.steps.push(result);
  if (!result.ok) break;
}
// Requests still in flight (a beacon sent as the page closed) get a moment to be recorded.
await new Promise((r) => setTimeout(r, scenario.settle_ms ?? 300));
await finish(out.ok ? 0 : 1);
