#!/usr/bin/env bash
# The one test command: install what the tests need, build, run every test.
# .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run build --silent
npx vitest run
