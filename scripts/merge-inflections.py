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
import sys

from packlists import rewrite

MIN_STEM = 4  # letters a shortened word keeps at the least
MAX_ENDING = 3  # letters by which two forms' endings may differ


def common_prefix(a, b):
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def stem_of(stem, word):
    """The stem two forms share, or None when they are not one word's forms."""
    if stem == word:
        return stem
    n = common_prefix(stem.lower(), word.lower())
    shortest = min(len(stem), len(word))
    if n < shortest - MAX_ENDING:
        return None
    # Four letters only when one letter ends the words (grupa, grupy): a
    # shorter stem is the start of too many other words (ukra-: Ukrainian).
    if n < MIN_STEM + 1 and not (n >= MIN_STEM and n >= shortest - 1):
        return None
    return stem[:n] if stem[:n].isalpha() else None


def merge(terms, _lang):
    # Each cluster: the words' stems so far, which of them vary, whether the
    # phrase ends in `*`, and the terms merged into it.
    clusters = []
    for term in terms:
        star = term.endswith("*")
        words = (term[:-1] if star else term).split()
        cluster = None
        if len(words) >= 2 and "*" not in " ".join(words):
            for c in clusters:
                if len(c[0]) != len(words) or c[2] != star:
                    continue
                stems = [stem_of(s, w) for s, w in zip(c[0], words)]
                if None not in stems:
                    c[1] = [v or n != s or n != w for v, n, s, w in zip(c[1], stems, c[0], words)]
                    c[0] = stems
                    cluster = c
                    break
        if cluster is None:
            clusters.append([words, [False] * len(words), star, [term]])
        else:
            cluster[3].append(term)
    out = []
    for stems, varies, star, members in clusters:
        # A phrase of one long word and short ones ("upali u") would become
        # one word with a wildcard: too loose.
        if len(members) == 1 or sum(1 for s in stems if len(s) >= 4) < 2:
            out.extend(members)
            continue
        last = len(stems) - 1
        out.append(" ".join(s + ("*" if v or (i == last and star) else "") for i, (s, v) in enumerate(zip(stems, varies))))
    return out


if __name__ == "__main__":
    path, langs, groups = sys.argv[1], set(sys.argv[2].split(",")), set(sys.argv[3].split(","))
    before, after = rewrite(path, langs, groups, merge)
    print(f"terms {before} -> {after}", file=sys.stderr)
