#!/usr/bin/env bash
# Quick start, step 2: install what is missing, build, and run every test
# (GoogleTest unit tests and the integration suites against real servers).
# SUMA_LONG=1 runs the long versions of the soak and fuzz runs (docs/guarantees.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --tests
cd build
ctest --output-on-failure --timeout 1200 "$@"
