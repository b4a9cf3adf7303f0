#!/usr/bin/env bash
# tests/browser/run.sh: the browser tests (see run.mjs). Builds nothing:
# expects HOTLINE_BIN, HOTLINE_TEST_DB (a migrated database) and HOTLINE_ROOT
# as the integration tests do, Node.js, and Debian's chromium at
# /usr/bin/chromium. Installs playwright-core from the lockfile if missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ ! -d "$here/node_modules/playwright-core" ]; then
	(cd "$here" && npm ci --no-audit --no-fund >&2)
fi
exec node "$here/run.mjs" "$@"
