#!/usr/bin/env python3
"""Replaces the text between <!-- NAME:begin --> and <!-- NAME:end --> in a
file with the contents of another (a generated table)."""
import sys

path, name, generated = sys.argv[1:4]
text = open(path, encoding="utf-8").read()
begin, end = f"<!-- {name}:begin -->\n", f"<!-- {name}:end -->"
if begin not in text or end not in text:
    sys.exit(f"{path}: no {begin.strip()} ... {end} markers")
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
body = open(generated, encoding="utf-8").read()
open(path, "w", encoding="utf-8").write(head + begin + body + end + tail)
