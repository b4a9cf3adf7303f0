#!/usr/bin/env bash
# tests/openapi/run.sh: lints the API reference (src/api/openapi.json) with
# Redocly's OpenAPI 3 rules (redocly.yaml beside this script). Installs the
# pinned @redocly/cli from the lockfile when missing (the only step that
# needs the npm registry); the lint itself reads only local files: no
# telemetry, no update check. Exits non-zero on any error of the rules.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
if [ ! -x "$here/node_modules/.bin/redocly" ]; then
	(cd "$here" && npm ci --no-audit --no-fund >&2)
fi
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true REDOCLY_SUPPRESS_NOTIFICATIONS=true
cd "$here"
exec ./node_modules/.bin/redocly lint --config "$here/redocly.yaml" --format=stylish \
	"$root/src/api/openapi.json"
