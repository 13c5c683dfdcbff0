#!/usr/bin/env python3
"""Turns the words of a phrase into stems, so that its other forms match too.

    scripts/stem-phrases.py PACK LANGS GROUPS

For the Slavic languages (pl cs sk ru uk bg sr hr sl), each phrase of two or
more words in the given groups gets every lower-case word of six letters or
more cut to its stem and ended with `*`: the longest ending of the
language's list goes ("průmyslovou" -> "průmyslov*"), keeping five letters;
a word that ends in no listed ending keeps its letters ("špionáž" ->
"špionáž*", which also matches "špionáže"). Capitalised words (names:
"Rosji", "Pekinu") and short words (prepositions) stay as written, and a
phrase must keep two words of four letters or more. Run it after
scripts/merge-inflections.py; `newshound check` must pass afterwards, and
the devset, labelled-set and farm figures must not move.
"""
import sys

from packlists import rewrite

ENDINGS = {
    "pl": "ych ymi ego emu ami ach owi ów om ie ia ią ię ej ą ę a e i o u y",
    "cs": "ého ému ých ými ami ách ích ou ům ov om ej ie ia a e i o u y á é í ý ú ě",
    "sk": "ého ému ých ými ami ách ích ou om ov ej ie ia a e i o u y á é í ý ú ä",
    "ru": "ого ему ыми ими ами ями ах ях ой ей ою ая яя ое ее ые ие ых их ом ем ам ям а я о е и ы у ю ь",
    "uk": "ого ому ими ами ями ах ях ою ій ої ая ий ом ем ам ям а я о е и і у ю ь ї є",
    "bg": "ите ата ото ия ът та то те а я о е и у",
    "sr": "ima ama om em ih im og oj a e i o u има ама ом ем их им ог ој а е и о у",
    "hr": "ima ama om em ih im og oj a e i o u",
    "sl": "ima ama om em ih im ega emu ov a e i o u",
}
ENDINGS = {k: sorted(set(v.split()), key=len, reverse=True) for k, v in ENDINGS.items()}
MIN_STEM = 5


def stem_word(word, lang):
    if word.endswith("*") or len(word) <= MIN_STEM or not word.isalpha() or word[0].isupper():
        return word
    low = word.lower()
    for ending in ENDINGS[lang]:
        if low.endswith(ending) and len(word) - len(ending) >= MIN_STEM:
            return word[: len(word) - len(ending)] + "*"
    return word + "*"


def stem_phrase(term, lang):
    words = term.split()
    if len(words) < 2 or sum(1 for w in words if len(w.rstrip("*")) >= 4) < 2:
        return term
    return " ".join(stem_word(w, lang) for w in words)


if __name__ == "__main__":
    path, langs, groups = sys.argv[1], set(sys.argv[2].split(",")), set(sys.argv[3].split(","))
    changed = 0

    def stem_all(terms, lang):
        global changed
        stemmed = [stem_phrase(t, lang) for t in terms]
        changed += sum(1 for a, b in zip(terms, stemmed) if a != b)
        return stemmed

    rewrite(path, langs, groups, stem_all)
    print(f"{changed} phrases stemmed", file=sys.stderr)
