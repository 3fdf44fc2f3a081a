"""Find crisis and safeguarding wording in a reflection, however it is typed.

A flag term in ``data/safety.yaml`` (English) or ``data/safety.<language>.yaml`` (another
language, such as ``safety.es.yaml``) is a phrase of words. Text and terms are both reduced to
the same plain form before they are compared, so one term covers the ways people actually write
it. In every language:

- case, accents, full-width letters and invisible characters are ignored (Unicode NFKC, then
  NFKD without the combining marks), so "Quiero MORIR", "quiero morír" and "quiero morir" are
  one phrase, and "autolesión" is "autolesion";
- apostrophes are dropped, so "don't", "don’t" and "dont" are one word; hyphens and other
  punctuation separate words, so "self-harm" is "self harm";
- every word is reduced to its stem by the language's Snowball stemmer, so "end my life" also
  catches "ending my life" and "ended my life", and "me quiero matar" catches "me quería matar".

Some rewrites belong to one language only:

- English: common spoken and texting forms are spelled out: "wanna" → "want to", "gonna" →
  "going to", "kms" → "kill myself", "kys" → "kill yourself", "any more" → "anymore", "do not"
  → "dont", "cannot" / "can not" → "cant", "I am" → "im", "self harm" → "selfharm"; British
  "-ise" and US "-ize" spellings are one spelling.
- Spanish: "me" joined to the end of an infinitive or gerund is written apart, so that
  "matarme" is "matar me" and "haciéndome" is "haciendo me". The stemmer would otherwise drop
  it, and "quiero matarme" (myself) would read like "quiero matar" (someone).

Two small marks let one term cover a family of phrases: ``a/b/c`` is any one of those words in
that place, and ``[a/b]`` is an optional word (``someone [is/keeps] hurting me``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

__all__ = ["STEMMERS", "base_language", "find_terms", "fold", "normalise"]

#: The languages flag terms can be written in (ISO 639 code -> Snowball stemmer).
STEMMERS = {
    "ca": "catalan",
    "da": "danish",
    "de": "german",
    "en": "english",
    "es": "spanish",
    "eu": "basque",
    "fi": "finnish",
    "fr": "french",
    "it": "italian",
    "nl": "dutch",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "sv": "swedish",
}

_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc\u0060\u00b4\u2032]")
_NON_WORD = re.compile(r"[\W_]+")
_MARKED = re.compile(r"[^\w/\[\]]+|_")
# English whole-word rewrites, applied to the lower-cased word sequence before stemming.
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
_PHRASE_RULES = {
    "en": [(re.compile(rf"(?<!\S)(?:{a})(?!\S)"), b) for a, b in _SPOKEN],
}
# One word becomes one or more words before stemming.
_WORD_RULES = {
    "en": [(re.compile(r"^(\w{2,})iz(e|ed|es|ing|ation|ations)$"), r"\1is\2")],
    # Spanish "me" after an infinitive or a gerund (accents are already gone): "matarme".
    "es": [(re.compile(r"^(\w{2,}(?:ar|er|ir|ando|iendo))me$"), r"\1 me")],
}


def base_language(language: str | None) -> str:
    """The language of a code without its region ("es-ES", "es_MX", "ES" -> "es"; None -> "en"),
    as flag-term lists are written."""
    return (language or "en").strip().lower().replace("-", "_").split("_")[0]


def _language(language: str | None) -> str:
    code = base_language(language)
    if code not in STEMMERS:
        raise ValueError(
            f"no word stemmer for language {language!r}; flag terms can be written in "
            + ", ".join(sorted(STEMMERS))
        )
    return code


def fold(text: str) -> str:
    """``text`` without case, accents, full-width forms or invisible characters ("Sí" and
    "si" are one word)."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text)).casefold()
    return "".join(c for c in text if unicodedata.category(c) not in ("Mn", "Cf"))


def _plain(text: str, marks: bool = False, language: str = "en") -> str:
    """Lower-case words separated by single spaces: no accents, apostrophes or punctuation.

    With ``marks``, a term's ``/`` and ``[ ]`` are kept.
    """
    text = fold(text)
    text = (_MARKED if marks else _NON_WORD).sub(" ", _APOSTROPHES.sub("", text))
    text = " ".join(text.split())
    for pattern, replacement in _PHRASE_RULES.get(language, ()):
        text = pattern.sub(replacement, text)
    return text


@lru_cache(maxsize=32)
def _stemmer(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(STEMMERS[language])


@lru_cache(maxsize=65536)
def _stems(word: str, language: str) -> tuple[str, ...]:
    """The stems of one plain word (one, or more where a rule splits the word)."""
    for pattern, replacement in _WORD_RULES.get(language, ()):
        word = pattern.sub(replacement, word)
    stemmer = _stemmer(language)
    return tuple(stemmer.stemWord(part) for part in word.split())


def normalise(text: str, language: str = "en") -> str:
    """The form text is compared in: plain words, each reduced to its stem."""
    language = _language(language)
    return " ".join(s for w in _plain(text, language=language).split() for s in _stems(w, language))


def _word_pattern(word: str, language: str) -> str:
    optional = word.startswith("[") and word.endswith("]")
    choices = word.strip("[]").split("/")
    alternatives = "|".join(
        sorted({re.escape(" ".join(_stems(c, language))) for c in choices if c})
    )
    return f"(?:(?:{alternatives}) )?" if optional else f"(?:{alternatives}) "


@lru_cache(maxsize=64)
def _compiled(terms: tuple[str, ...], language: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    compiled = []
    for term in terms:
        words = _plain(term, marks=True, language=language).split()
        if words:
            body = "".join(_word_pattern(w, language) for w in words)
            compiled.append((term, re.compile(rf"(?<!\S){body}")))
    return tuple(compiled)


def find_terms(text: str, terms: tuple[str, ...], language: str = "en") -> list[str]:
    """The terms (as written in the list) whose phrase occurs in ``text``, in list order.

    ``language`` is the language the terms are written in: it chooses the stemmer and the
    rewrites, for the text as for the terms."""
    language = _language(language)
    haystack = normalise(text, language) + " "
    return [term for term, pattern in _compiled(tuple(terms), language) if pattern.search(haystack)]
