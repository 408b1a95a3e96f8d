#!/usr/bin/env bash
# A bounded schemathesis run against the started service: a temporary SQLite database and blob
# folder, one tenant with a user, organisations and a key made by `curricula admin`. Fails on any
# failure (a 5xx, a response that violates /openapi.json, a wrong status for an undeclared method...).
# Usage: .ci/schemathesis.sh [path/to/curricula]   (default: target/debug/curricula)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$(realpath "${1:-${CARGO_TARGET_DIR:-$root/target}/debug/curricula}")"
max_examples="${ST_MAX_EXAMPLES:-25}"

command -v st >/dev/null || pip install -q "schemathesis==4.32.5" openapi-spec-validator >/dev/null
python3 -c "import openapi_spec_validator" 2>/dev/null || pip install -q openapi-spec-validator >/dev/null

work="$(mktemp -d)"
cleanup() {
  [[ -n "${pid:-}" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

export CURRICULA__DATABASE__URL="sqlite://$work/st.db"
export CURRICULA__STORAGE__URL="file://$work/blobs"
export CURRICULA__UPLOAD__TMP_DIR="$work/tmp"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
export CURRICULA__SERVER__BIND="127.0.0.1:$port"
export CURRICULA_ST_KEY="st-key-$(date +%s%N)"

"$bin" migrate 2>/dev/null  # admin commands refuse to create a database
"$bin" admin tenant create --name "Schemathesis" --default-language en-GB --languages is-IS >/dev/null
"$bin" admin user create --tenant 1 --username jon.jonsson >/dev/null
"$bin" admin org create --tenant 1 --name "Reykjavík" --id 81 >/dev/null
"$bin" admin key create --tenant 1 --origin https://skoli.istak.is --key "$CURRICULA_ST_KEY" >/dev/null

"$bin" serve >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break
  sleep 0.2
done
# The document validates against the OpenAPI 3.1 meta-schema.
curl -fs "http://127.0.0.1:$port/openapi.json" >"$work/openapi.json"
python3 -c 'import json,sys; from openapi_spec_validator import validate; validate(json.load(open(sys.argv[1]))); print("openapi.json: valid OpenAPI", json.load(open(sys.argv[1]))["openapi"])' "$work/openapi.json"
# A course and a package, so some generated ids exist.
curl -fs -X POST "http://127.0.0.1:$port/api/activityupload/new" -F "key=$CURRICULA_ST_KEY" \
  -F origin=https://skoli.istak.is -F activityType=course -F "name=Path" -F userName=jon.jonsson >/dev/null
curl -fs -X POST "http://127.0.0.1:$port/api/activityupload/new" -F "key=$CURRICULA_ST_KEY" \
  -F origin=https://skoli.istak.is -F activityType=scorm -F "name=Package" -F userName=jon.jonsson \
  -F parentActivityId=1 -F "file=@$root/examples/hse-presentation.zip" >/dev/null

status=0
st --config-file "$root/.ci/schemathesis.toml" run "http://127.0.0.1:$port/openapi.json" \
  --checks all --max-examples "$max_examples" --seed "${ST_SEED:-1}" --workers 2 \
  --no-color || status=$?
if grep -q "panicked" "$work/serve.log"; then
  echo "the server panicked during the run:" >&2
  grep -A3 "panicked" "$work/serve.log" >&2
  status=1
fi
exit "$status"
