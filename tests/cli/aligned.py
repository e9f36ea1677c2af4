#!/usr/bin/env python3
"""Check that a table printed by vpmem lines up on a terminal.

usage: aligned.py NCOLS < TABLE

The first line is the header. The first NCOLS cells of every line are
whitespace-separated words (the test picks columns whose cells hold no
blank); each must start at the display column where its header starts
(left-aligned columns) or end where it ends (right-aligned), measured as a terminal does: East Asian wide and
fullwidth characters take two cells, combining marks none (wcwidth).
Prints every misplaced cell and exits 1 when there is any.
"""
import sys
import unicodedata


def width(ch):
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def starts(line):
    """(display column, word) of each whitespace-separated word."""
    out, col, word, at = [], 0, "", 0
    for ch in line:
        if ch == " ":
            if word:
                out.append((at, word))
                word = ""
        else:
            if not word:
                at = col
            word += ch
        col += width(ch)
    if word:
        out.append((at, word))
    return [(a, w, a + sum(width(c) for c in w)) for a, w in out]


def main():
    n = int(sys.argv[1])
    lines = sys.stdin.read().splitlines()
    head = starts(lines[0])[:n]
    bad = 0
    for ln in lines[1:]:
        cells = starts(ln)[:n]
        for j, (at, word, end) in enumerate(cells):
            # the first column holds the tree
            if j and at != head[j][0] and end != head[j][2]:
                print(f"misaligned: {word!r} at columns {at}-{end}, header {head[j][1]!r} at {head[j][0]}-{head[j][2]}: {ln!r}")
                bad += 1
    print(f"{len(lines) - 1} rows checked")
    sys.exit(1 if bad or len(lines) < 2 else 0)


main()
