#!/usr/bin/env bash
# Captures dumps for already-built binaries (fixtures/lab/bin + the dumper in $BUILD), then
# regenerates fixtures/lab/expected.json and checks the dumps.
# Usage: bash lab/capture.sh [--arch x86|x64] [SCENARIO ...]
#        bash lab/capture.sh --full [--out DIR] [--arch x86|x64] [SCENARIO ...]
#   --full: full-memory dumps (labdump -m full, ~20 MB each) into DIR (default bench/out/full,
#   ignored by git) as SCENARIO-ARCH-full.dmp; fixtures/lab and expected.json are left alone.
#        bash lab/capture.sh --hang [--arch x86|x64] [--full] [SCENARIO ...]
#   --hang: the hang fixtures (lab/tools/hang.py) into fixtures/lab/hang
set -euo pipefail
LAB=$(cd "$(dirname "$0")" && pwd)
if [[ ${1:-} == --hang ]]; then shift; exec python3 "$LAB/tools/lab.py" hang "$@"; fi
python3 "$LAB/tools/lab.py" capture "$@"
for a in "$@"; do [[ $a == --full || $a == --out ]] && exit 0; done
python3 "$LAB/tools/lab.py" expected
python3 "$LAB/tools/lab.py" check
