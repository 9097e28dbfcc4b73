#!/usr/bin/env python3
"""Derives conversations.jsonl from ../../LlamaInstruct/data/sotu-instructions.jsonl (deterministic).

Two multi-turn conversations (OpenAI "messages" with a system prompt) per State of the Union address
from 1900 on: one asks who gave it and then for its opening sentence, the other asks for the party
and then the speaker. Run from this folder: python3 make_conversations.py [path/to/sotu-instructions.jsonl]
"""
import json, re, sys

source = sys.argv[1] if len(sys.argv) > 1 else "../../LlamaInstruct/data/sotu-instructions.jsonl"
records = [json.loads(line) for line in open(source, encoding="utf-8")]
systems = [
    "You are a concise assistant for questions about United States history.",
    "You answer questions about State of the Union addresses in one short sentence.",
    "You are a helpful archivist. Keep answers brief and factual.",
]
who, opening = {}, {}
for r in records:
    m = re.match(r"Who delivered the (\d{4}) State of the Union address\?", r["instruction"])
    if m:
        who[int(m.group(1))] = r["output"]
    elif r["input"]:
        name, year = r["input"].rsplit(", ", 1)
        opening.setdefault(int(year), r["output"])

out = []
for i, year in enumerate(sorted(who)):
    speaker = who[year]  # "Name (Party)."
    name, party = re.match(r"(.*) \((.*)\)\.$", speaker).groups()
    first = opening.get(year, "")
    if len(first) > 160:
        first = first[:160].rsplit(" ", 1)[0] + " ..."
    out.append({"messages": [
        {"role": "system", "content": systems[i % 3]},
        {"role": "user", "content": f"Who delivered the {year} State of the Union address?"},
        {"role": "assistant", "content": f"{name} delivered it, for the {party} party."},
        {"role": "user", "content": "How did it begin?"},
        {"role": "assistant", "content": first or "I do not have its opening sentence."},
    ]})
    out.append({"messages": [
        {"role": "system", "content": systems[(i + 1) % 3]},
        {"role": "user", "content": f"Which party was the president of {year} in?"},
        {"role": "assistant", "content": f"The {party} party."},
        {"role": "user", "content": "And who was it?"},
        {"role": "assistant", "content": f"{name}."},
    ]})
with open("conversations.jsonl", "w", encoding="utf-8") as f:
    for o in out:
        f.write(json.dumps(o, ensure_ascii=False) + "\n")
print(len(out))
