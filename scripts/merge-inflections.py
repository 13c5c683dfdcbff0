#!/usr/bin/env python3
"""Merges the listed inflections of a phrase into one term with inner wildcards.

    scripts/merge-inflections.py PACK LANGS GROUPS

LANGS and GROUPS are comma-separated. Within each list of those groups and
languages (between two comment lines), phrases of the same length whose
words differ only in their endings ("kradzież technologii", "kradzieży
technologii", "kradzieżą technologii") become one term whose differing words
end in `*` ("kradzież* technologii"). The term then also matches the forms
the list lacked. Run it after adding forms by hand; `newshound check` must
pass afterwards, and the devset, labelled-set and farm figures must not move.

A word is shortened to the stem its forms share only when the endings differ
by at most MAX_ENDING letters and the stem keeps MIN_STEM + 1 letters (or
MIN_STEM when one letter ends the words); a phrase must keep two words of
four letters or more.
"""
import re, sys, json, unicodedata
LANGS = set(sys.argv[2].split(",")) if len(sys.argv) > 2 else set()
GROUPS = set(sys.argv[3].split(",")) if len(sys.argv) > 3 else set()
MIN_STEM = 4     # letters a wildcard word keeps
MAX_ENDING = 3   # letters an ending may differ by

def lcp(a, b):
    n = 0
    for x, y in zip(a, b):
        if x != y: break
        n += 1
    return n

def words_of(t):
    t = t.strip()
    star = t.endswith("*")
    ws = (t[:-1] if star else t).split()
    return ws, star

def compatible(stem, word):
    """The stem two words share, or None when they are not one word's forms."""
    if stem == word: return stem
    n = lcp(stem.lower(), word.lower())
    # Endings differ by a few letters and the stem keeps MIN_STEM letters.
    shortest = min(len(stem), len(word))
    if n < shortest - MAX_ENDING: return None
    # Four letters only when one letter ends the words (grupa, grupy): a
    # shorter stem is the start of too many other words (ukra-: Ukrainian).
    if n < MIN_STEM + 1 and not (n >= MIN_STEM and n >= shortest - 1): return None
    if not stem[:n].isalpha(): return None
    return stem[:n]

def merge(terms):
    clusters = []  # [stems, wild flags, trailing star, members]
    for t in terms:
        ws, star = words_of(t)
        placed = False
        if len(ws) >= 2 and "*" not in " ".join(ws):
            for c in clusters:
                stems, wild, cstar, members = c
                if len(stems) != len(ws) or cstar != star: continue
                new = [compatible(s, w) for s, w in zip(stems, ws)]
                if any(x is None for x in new): continue
                # Only the words' endings may differ, and not the first word
                # and the last at once into nothing specific.
                c[0] = new
                c[1] = [f or (n != w) or (n != s) for f, n, s, w in zip(wild, new, stems, ws)]
                members.append(t); placed = True; break
        if not placed:
            clusters.append([ws, [False]*len(ws), star, [t]])
    out = []
    for stems, wild, star, members in clusters:
        # A phrase of one long word and short ones ("upali u") is one word
        # with a wildcard after merging: too loose.
        long_words = sum(1 for s in stems if len(s) >= 4)
        if len(members) == 1 or long_words < 2:
            out.extend(members); continue
        words = []
        for i, (s, f) in enumerate(zip(stems, wild)):
            last = i == len(stems) - 1
            words.append(s + ("*" if f or (last and star) else ""))
        out.append(" ".join(words))
    return out

def key(t):
    t = unicodedata.normalize("NFKD", t.lower().replace("ё", "е"))
    return "".join(c for c in t if not unicodedata.combining(c)).replace("ł", "l")

STR = re.compile(r'"((?:[^"\\]|\\.)*)"')
def main():
    path = sys.argv[1]
    lines = open(path).read().split("\n")
    out = []; group = None; i = 0; before = after = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r'^name = "(.*)"$', line)
        if m: group = m.group(1)
        m = re.match(r'^([a-z]{2,3}) = \[$', line)
        if m and m.group(1) in LANGS and group in GROUPS:
            out.append(line); i += 1
            seg = []; seen = set()
            def flush():
                nonlocal before, after
                if not seg: return
                merged = []
                for t in merge(seg):
                    if key(t) not in seen:
                        seen.add(key(t)); merged.append(t)
                before += len(seg); after += len(merged)
                cur = "  "
                for t in merged:
                    piece = json.dumps(t, ensure_ascii=False) + ", "
                    if len(cur) + len(piece) > 100:
                        out.append(cur.rstrip()); cur = "  "
                    cur += piece
                out.append(cur.rstrip().rstrip(",") + ",")
                seg.clear()
            while lines[i] != "]":
                if lines[i].strip().startswith("#"):
                    flush(); out.append(lines[i])
                else:
                    seg.extend(json.loads('"%s"' % s) for s in STR.findall(lines[i]))
                i += 1
            flush()
            continue
        out.append(line); i += 1
    open(path, "w").write("\n".join(out))
    print(f"terms {before} -> {after}", file=sys.stderr)
main()
