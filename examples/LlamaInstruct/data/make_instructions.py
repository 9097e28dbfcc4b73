#!/usr/bin/env python3
"""Derives sotu-instructions.jsonl from ../../../../shared/datasets/sotu.jsonl (deterministic).

Two Alpaca-style records per address from 1900 on: who delivered it, and its opening sentence.
Run from this folder: python3 make_instructions.py [path/to/sotu.jsonl]
"""
import json, re, sys

source = sys.argv[1] if len(sys.argv) > 1 else "../../../../shared/datasets/sotu.jsonl"
rows = [json.loads(line) for line in open(source, encoding="utf-8")]
out = []
for r in rows:
    if r["year"] < 1900:
        continue
    out.append({"instruction": f"Who delivered the {r['year']} State of the Union address?", "input": "",
                "output": f"{r['name']} ({r['party']})."})
    text = " ".join(r["text"].split())
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0][:300]
    out.append({"instruction": "Give the opening sentence of this State of the Union address.",
                "input": f"{r['name']}, {r['year']}", "output": first})
with open("sotu-instructions.jsonl", "w", encoding="utf-8") as f:
    for o in out:
        f.write(json.dumps(o, ensure_ascii=False) + "\n")
print(len(out))
