#!/usr/bin/env bash
# Regenerates fixtures/lab from scratch: build (lab/build.sh), capture every scenario under Wine
# with the dumper, compute fixtures/lab/expected.json and check the dumps; then the hang fixtures.
# Needs lab/setup.sh to have run once on the machine.  Usage: bash lab/run.sh
set -euo pipefail
LAB=$(cd "$(dirname "$0")" && pwd)
FIX=$(dirname "$LAB")/fixtures/lab
bash "$LAB/build.sh"
rm -f "$FIX"/*.dmp "$FIX"/logs/*.log
bash "$LAB/capture.sh"
bash "$LAB/capture.sh" --hang     # fixtures/lab/hang (lab/README.md, "Hang scenarios")
