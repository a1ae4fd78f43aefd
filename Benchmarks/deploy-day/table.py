#!/usr/bin/env python3
"""table.py OUT_DIR: the deploy-day's per-barclamp times as a markdown table (first apply, forced no-op re-apply),
from the reports `scripts/deploy-day` leaves in OUT_DIR (apply.jsonl, reapply.jsonl, verify.jsonl, timings)."""
import json
import os
import sys

out = sys.argv[1]


def load(name):
    path = os.path.join(out, name)
    return [json.loads(line) for line in open(path)] if os.path.exists(path) else []


first = {entry["barclamp"]: entry for entry in load("apply.jsonl")}
again = {entry["barclamp"]: entry for entry in load("reapply.jsonl")}
print("| barclamp | first apply | changed | no-op re-apply | changed |")
print("|---|---|---|---|---|")
for barclamp, entry in first.items():
    second = again.get(barclamp)
    print("| %s | %.1f s | %d | %s | %s |" % (
        barclamp, entry["seconds"], entry["changed"],
        "%.1f s" % second["seconds"] if second else "-", second["changed"] if second else "-"))
print("| **all** | **%.1f s** | %d | **%.1f s** | %d |" % (
    sum(e["seconds"] for e in first.values()), sum(e["changed"] for e in first.values()),
    sum(e["seconds"] for e in again.values()), sum(e["changed"] for e in again.values())))
for entry in load("verify.jsonl"):
    print("| %s (checks) | %.1f s | %d | | |" % (entry["barclamp"], entry["seconds"], entry["changed"]))
