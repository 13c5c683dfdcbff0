"""Rewrites term lists of a topic pack in place; shared by the pack scripts.

A list is `<lang> = [` ... `]` inside a `[[group]]`; comment lines inside it
split it into segments, which are rewritten one at a time and keep their
comment. Terms that fold to the same key (case, diacritics, `ё`, `ł`) are
kept once per list, as `newshound check` demands.
"""
import json
import re
import unicodedata

_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
_WIDTH = 100


def key(term):
    """Roughly how newshound folds a term: two terms with one key clash."""
    t = unicodedata.normalize("NFKD", term.lower().replace("ё", "е"))
    return "".join(c for c in t if not unicodedata.combining(c)).replace("ł", "l")


def _write(out, terms):
    line = "  "
    for t in terms:
        piece = json.dumps(t, ensure_ascii=False) + ", "
        if len(line) + len(piece) > _WIDTH:
            out.append(line.rstrip())
            line = "  "
        line += piece
    if line.strip():
        out.append(line.rstrip().rstrip(",") + ",")


def rewrite(path, langs, groups, segment):
    """Replaces each segment of the chosen lists by `segment(terms, lang)`.

    Returns (terms before, terms after)."""
    lines = open(path).read().split("\n")
    out, group, i, before, after = [], None, 0, 0, 0
    while i < len(lines):
        line = lines[i]
        named = re.match(r'^name = "(.*)"$', line)
        if named:
            group = named.group(1)
        opened = re.match(r"^([a-z]{2,3}) = \[$", line)
        out.append(line)
        i += 1
        if not (opened and opened.group(1) in langs and group in groups):
            continue
        lang, seen, terms = opened.group(1), set(), []

        def flush():
            nonlocal before, after
            kept = []
            for t in segment(terms, lang):
                if key(t) not in seen:
                    seen.add(key(t))
                    kept.append(t)
            before, after = before + len(terms), after + len(kept)
            _write(out, kept)
            terms.clear()

        while lines[i] != "]":
            if lines[i].strip().startswith("#"):
                flush()
                out.append(lines[i])
            else:
                terms.extend(json.loads('"%s"' % s) for s in _STRING.findall(lines[i]))
            i += 1
        flush()
    open(path, "w").write("\n".join(out))
    return before, after
