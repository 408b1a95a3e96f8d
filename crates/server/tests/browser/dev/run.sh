#!/usr/bin/env bash
# DEVELOPMENT ONLY: starts dev/server.mjs on 127.0.0.1:18915, runs every scenario of
# dev/scenarios/ (or those given) through ../harness.mjs, and prints per scenario what the page
# saw and what the stand-in server received. Needs `npm ci` in tests/browser and chromium;
# SCORM_AGAIN_DIR defaults to the copy build.rs installed under $CARGO_TARGET_DIR (or target/).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/.."
target="${CARGO_TARGET_DIR:-$here/../../../../../target}"
export SCORM_AGAIN_DIR="${SCORM_AGAIN_DIR:-$(ls -d "$target"/debug/build/curricula-server-*/out/npm/node_modules/scorm-again 2>/dev/null | head -n1)}"
[[ -n "$SCORM_AGAIN_DIR" ]] || { echo "set SCORM_AGAIN_DIR (build the crate first)" >&2; exit 2; }
base=http://127.0.0.1:18915
node dev/server.mjs 18915 >/dev/null &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs -o /dev/null "$base/dev/commits" && break; sleep 0.1; done
scenarios=("$@")
[[ ${#scenarios[@]} -gt 0 ]] || scenarios=(dev/scenarios/*.json)
for s in "${scenarios[@]}"; do
  curl -fs -X POST "$base/dev/reset" >/dev/null
  echo "== $(basename "$s")"
  node harness.mjs "$s" | python3 -c '
import json, sys
o = json.load(sys.stdin)
print("  ", "ok" if o["ok"] else "FAILED", o.get("error") or "", [s.get("error") for s in o["steps"] if not s["ok"]], o["page_errors"])
for s in o["steps"]:
    if s["action"] in ("eval", "text"):
        print("   page:", str(s.get("value"))[:200])'
  curl -fs "$base/dev/commits" | python3 -c '
import json, sys
for c in json.load(sys.stdin):
    b = c["body"]; cmi = b["cmi"]["cmi"]; core = cmi.get("core", {})
    print("   server got:", c["content_type"], "seq", b["seq"], b["sco"], "session", b["session"][:8], "terminate", b["terminate"],
          "location", repr(cmi.get("location", core.get("lesson_location"))), "suspend_data", len(cmi["suspend_data"]),
          "exit", repr(cmi.get("exit", core.get("exit"))), "status", cmi.get("completion_status", core.get("lesson_status")))'
done
