"""Find crisis and safeguarding wording in a reflection, however it is typed.

A flag term in ``data/safety.yaml`` is a phrase of words. Text and terms are both reduced to the
same plain form before they are compared, so one term covers the ways people actually write it:

- case, accents, full-width letters and invisible characters are ignored (Unicode NFKC);
- apostrophes are dropped, so "don't", "don’t" and "dont" are one word; hyphens and other
  punctuation separate words, so "self-harm" is "self harm";
- common spoken and texting forms are spelled out: "wanna" → "want to", "gonna" → "going to",
  "kms" → "kill myself", "kys" → "kill yourself", "any more" → "anymore", "do not" → "dont",
  "cannot" / "can not" → "cant", "I am" → "im", "self harm" → "selfharm";
- British "-ise" and US "-ize" spellings are one spelling;
- every word is reduced to its stem (Snowball English), so "end my life" also catches
  "ending my life" and "ended my life", "cutting again" catches "cut again", "overdose" catches
  "overdosed" and "overdosing".

Two small marks let one term cover a family of phrases: ``a/b/c`` is any one of those words in
that place, and ``[a/b]`` is an optional word (``someone [is/keeps] hurting me``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

__all__ = ["find_terms", "normalise"]

_STEMMER = snowballstemmer.stemmer("english")
_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc\u0060\u00b4\u2032]")
_NON_WORD = re.compile(r"[\W_]+")
_MARKED = re.compile(r"[^\w/\[\]]+|_")
# Whole-word rewrites, applied to the lower-cased word sequence before stemming.
_SPOKEN = (
    (r"wanna|wana", "want to"),
    (r"gonna", "going to"),
    (r"kms", "kill myself"),
    (r"kys", "kill yourself"),
    (r"any more", "anymore"),
    (r"do not", "dont"),
    (r"does not", "doesnt"),
    (r"did not", "didnt"),
    (r"is not", "isnt"),
    (r"can ?not", "cant"),
    (r"i am", "im"),
    (r"self (harm\w*)", r"self\1"),
)
_SPOKEN_RE = [(re.compile(rf"(?<!\S)(?:{a})(?!\S)"), b) for a, b in _SPOKEN]
_US_SPELLING = re.compile(r"(\w{2,})iz(e|ed|es|ing|ation|ations)$")


def _plain(text: str, marks: bool = False) -> str:
    """Lower-case words separated by single spaces: no accents, apostrophes or punctuation.

    With ``marks``, a term's ``/`` and ``[ ]`` are kept.
    """
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text)).casefold()
    text = "".join(c for c in text if unicodedata.category(c) not in ("Mn", "Cf"))
    text = (_MARKED if marks else _NON_WORD).sub(" ", _APOSTROPHES.sub("", text))
    text = " ".join(text.split())
    for pattern, replacement in _SPOKEN_RE:
        text = pattern.sub(replacement, text)
    return text


def _stem(word: str) -> str:
    return _STEMMER.stemWord(_US_SPELLING.sub(r"\1is\2", word))


def normalise(text: str) -> str:
    """The form text is compared in: plain words, each reduced to its stem."""
    return " ".join(_stem(w) for w in _plain(text).split())


def _word_pattern(word: str) -> str:
    optional = word.startswith("[") and word.endswith("]")
    choices = word.strip("[]").split("/")
    alternatives = "|".join(sorted({re.escape(_stem(c)) for c in choices if c}))
    return f"(?:(?:{alternatives}) )?" if optional else f"(?:{alternatives}) "


@lru_cache(maxsize=64)
def _compiled(terms: tuple[str, ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    compiled = []
    for term in terms:
        words = _plain(term, marks=True).split()
        if words:
            body = "".join(_word_pattern(w) for w in words)
            compiled.append((term, re.compile(rf"(?<!\S){body}")))
    return tuple(compiled)


def find_terms(text: str, terms: tuple[str, ...]) -> list[str]:
    """The terms (as written in the list) whose phrase occurs in ``text``, in list order."""
    haystack = normalise(text) + " "
    return [term for term, pattern in _compiled(tuple(terms)) if pattern.search(haystack)]
