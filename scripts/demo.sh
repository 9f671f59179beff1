#!/usr/bin/env bash
# The README's demo: validate and dry-run a scenario (a real run lands with the engine).
set -euo pipefail
cd "$(dirname "$0")/.."
./bin/httptool scenario validate examples/scenarios/demo.httpx
./bin/httptool scenario run examples/scenarios/demo.httpx --dry-run
