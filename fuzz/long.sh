#!/usr/bin/env bash
# Long fuzzing runs, one target after another, recording CPU time, execs and peak memory of each
# run in fuzz/runs.log (git-ignored) — the figures docs/robustness.md quotes.
#   MINUTES=31 bash fuzz/long.sh symbols_sym eventlog      # 31 minutes each
# Run two of these side by side on a 2-core machine. Seeds: run fuzz/smoke.sh once first (it
# fills fuzz/corpus/); crashes land in fuzz/artifacts/<target>/.
set -uo pipefail
cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1
: "${MINUTES:=31}"
[ $# -gt 0 ] || { echo "usage: MINUTES=N bash fuzz/long.sh TARGET..." >&2; exit 2; }
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
command -v /usr/bin/time >/dev/null || { apt-get update -q && apt-get install -y -q time; }
cargo fuzz build >/dev/null || exit 1
for t in "$@"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  log="runs-$t-$(date -u +%Y%m%dT%H%M%S).txt"
  start=$(date -u +%FT%TZ)
  # The fuzz binary itself (not cargo) under /usr/bin/time: user+sys CPU and peak RSS.
  /usr/bin/time -f 'cpu_user=%U cpu_sys=%S max_rss_kb=%M exit=%x' -o "$log.time" \
    target/x86_64-unknown-linux-gnu/release/"$t" "corpus/$t" -artifact_prefix="artifacts/$t/" \
    -max_total_time=$((MINUTES * 60)) -max_len=1048576 -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 >"$log" 2>&1
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  echo "$start $t minutes=$MINUTES execs=${execs:-?} $(cat "$log.time") artifacts=$(ls "artifacts/$t" | wc -l)" | tee -a runs.log
done
