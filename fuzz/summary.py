#!/usr/bin/env python3
"""Summarises fuzz/runs.log (written by fuzz/long.sh): one Markdown row per run and the CPU
minutes per target. Usage: python3 fuzz/summary.py [fuzz/runs.log]"""
import collections, re, sys

path = sys.argv[1] if len(sys.argv) > 1 else "fuzz/runs.log"
text = open(path).read()
# A run's record may be split by time's "Command exited with non-zero status" line.
records = re.findall(r"(\S+Z) (\w+) minutes=(\d+) execs=(\S+)\s+(?:Command exited[^\n]*\n)?"
                     r"cpu_user=([\d.]+) cpu_sys=([\d.]+) max_rss_kb=(\d+) exit=(\d+) "
                     r"artifacts=(\d+)", text)
total = collections.defaultdict(float)
print("| started (UTC) | target | CPU min | execs | peak RSS | result |")
print("|---|---|---:|---:|---:|---|")
for start, t, minutes, execs, user, sys_, rss, code, arts in records:
    cpu = (float(user) + float(sys_)) / 60
    total[t] += cpu
    result = "clean" if code == "0" else f"**crash** (exit {code})"
    print(f"| {start} | `{t}` | {cpu:.1f} | {execs} | {int(rss) // 1024} MB | {result} |")
print()
print("| target | CPU minutes in all |")
print("|---|---:|")
for t, cpu in sorted(total.items()):
    print(f"| `{t}` | {cpu:.1f} |")
