#!/usr/bin/env bash
# Log ingestion benchmarks (run by hand): W3C throughput on a generated log of SIZE MB (default
# 1024 = 1 GB), single core; EVTX/EVT records per second on the corpus event logs.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE="${1:-1024}"
cargo build --release -q -p coroner-weblog --example throughput -p coroner-eventlog --example evdump
echo "== W3C ingestion, generated ${SIZE} MB log (best of 3, one thread)"
taskset -c 0 target/release/examples/throughput "$SIZE"
CORPUS=../shared/corpus
if [ -d "$CORPUS" ]; then
  echo "== Event logs (corpus)"
  for f in python-evtx/system.evtx deepbluecli/many-events-application.evtx \
           evtx-attack-samples/tunna_iis_rdp_smb_tunneling_sysmon_3.evtx plaso/SysEvent.Evt; do
    taskset -c 0 target/release/examples/evdump "$CORPUS/$f" 2>/dev/null | head -1 || true
  done
else
  echo "corpus not found at $CORPUS: skipping event logs"
fi

echo "== coroner investigate end to end on a 1 GB W3C log (the example incident's log, repeated)"
TMP=$(mktemp -d)
python3 - "$TMP" <<'PY'
import sys
src = "examples/incident/LogFiles/W3SVC1/ex060314.log"
lines = open(src, "rb").read().split(b"\n")
header = [l for l in lines if l.startswith(b"#")][:4]
chunk = b"\n".join(l for l in lines if l and not l.startswith(b"#")) + b"\n"
with open(sys.argv[1] + "/ex060315.log", "wb") as f:
    f.write(b"\n".join(header) + b"\n")
    size = 0
    while size < (1 << 30):
        f.write(chunk)
        size += len(chunk)
PY
cargo build --release -q -p coroner-cli
ls -l "$TMP/ex060315.log"
/usr/bin/time -f "%e s wall, %M KB peak RSS" taskset -c 0 target/release/coroner investigate --format json -o "$TMP/report.json" "$TMP"
rm -rf "$TMP"
