#!/usr/bin/env bash
# One-minute smoke run of every fuzz target (SECONDS_PER_TARGET=60 by default), seeded from the
# lab dumps, the example incident, the test fixtures and ../shared/corpus when present. Seeds are
# copied into fuzz/corpus/<target>/ (git-ignored); crashes land in fuzz/artifacts/<target>/.
# Works on stable Rust: RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its -Z flags.
#   bash fuzz/smoke.sh                 # all targets
#   bash fuzz/smoke.sh weblog shell    # some
set -euo pipefail
cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1
: "${SECONDS_PER_TARGET:=60}"
: "${CARGO_BUILD_JOBS:=2}"
export CARGO_BUILD_JOBS
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
shared=../../shared/corpus
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(analyze analyze_structured symbols_sym symbols_pdb eventlog weblog shell hang)

seed() { # target, files...
  local dir="corpus/$1"; shift
  mkdir -p "$dir"
  for f in "$@"; do
    [ -f "$f" ] || continue
    # Keep seeds under 1 MiB (libFuzzer's -max_len below); name by content.
    if [ "$(stat -c %s "$f")" -le 1048576 ]; then cp -n "$f" "$dir/$(sha1sum "$f" | cut -c1-16)" ; fi
  done
}
shopt -s nullglob globstar
seed analyze ../fixtures/lab/**/*.dmp ../examples/**/*.dmp "$shared"/**/*.dmp
seed symbols_sym "$shared"/**/*.sym
seed symbols_pdb "$shared"/**/*.pdb "$shared"/**/*.sym
seed eventlog ../examples/**/*.[Ee]vt ../examples/**/*.xml "$shared"/**/*.evtx "$shared"/**/*.evt "$shared"/**/*.xml
seed weblog ../examples/**/*.log "$shared"/lnav/** "$shared"/**/*.log
mkdir -p corpus/analyze_structured corpus/shell corpus/hang
# The deadlock dump's own sections (owned, one waiter each; counting-up encoding) as the seed.
printf '\xb0\x51\x14\x00\x01\x00\x00\x00\x01\x00\x00\x00\xf4\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00' > corpus/hang/seed-sections
printf 'r; kb; !analyze -v\n? poi(@esp)+0x10*2; dd @esp L8; u @eip; !address @eip; lmvm ntdll\n' > corpus/shell/seed1
printf '\x01\x00\x02\x00\x00' > corpus/analyze_structured/seed-cycle
printf '\xff\xff\x05\x01\x03\x00\x07\x00\x00\x00' > corpus/analyze_structured/seed-all

cargo fuzz build >/dev/null  # all targets share one build
status=0
for t in "${targets[@]}"; do
  echo "== $t (${SECONDS_PER_TARGET}s)"
  mkdir -p "artifacts/$t"
  if ! cargo fuzz run "$t" "corpus/$t" -- -max_total_time="$SECONDS_PER_TARGET" \
      -max_len=1048576 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 2>&1 | tail -n 25; then
    status=1
  fi
done
exit $status
