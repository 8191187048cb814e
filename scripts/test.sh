#!/usr/bin/env bash
# The one test command: install what the tests need, build, run every test.
# .ci/run calls exactly this. Ends with a plain "passed, failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run build --silent
RESULTS="$(mktemp /tmp/tssentinel-vitest-XXXXXX.json)"
status=0
npx vitest run --reporter=default --reporter=json --outputFile="$RESULTS" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
' "$RESULTS" || true
rm -f "$RESULTS"
exit "$status"
