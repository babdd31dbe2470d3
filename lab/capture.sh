#!/usr/bin/env bash
# Captures dumps for already-built binaries (fixtures/lab/bin + the dumper in $BUILD), then
# regenerates fixtures/lab/expected.json and checks the dumps.
# Usage: bash lab/capture.sh [--arch x86|x64] [SCENARIO ...]
set -euo pipefail
LAB=$(cd "$(dirname "$0")" && pwd)
python3 "$LAB/tools/lab.py" capture "$@"
python3 "$LAB/tools/lab.py" expected
python3 "$LAB/tools/lab.py" check
