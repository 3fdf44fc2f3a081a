"""The words people see, in the room's language.

Every string a facilitator or participant reads is written in English in the code and marked for
translation: ``_("...")`` for a sentence, ``ngettext(singular, plural, n)`` for one that holds
a count (the catalog's plural forms choose the form; never an ``s`` added by hand),
``pgettext(context, "...")`` where one English word needs different translations, and
``N_("...")`` for a constant that is translated later, where it is shown. Placeholders are
named, in braces: ``_("{count} answered").format(count=n)``; the phone page and the presenter
display use the same form.

Catalogs are gettext ``.po`` files, one per language, in ``peerkit/locale/<language>/
LC_MESSAGES/peerkit.po``, beside the template ``peerkit/locale/peerkit.pot`` that Babel
extracts from the Python and JavaScript sources (``babel.cfg``; the commands are in
``docs/translating.md``). A catalog is compiled by Babel the first time its language is used,
in memory: there is no build step and no binary file to keep in step with its source.

Two ways to ask for a translation:

- in a kernel, which runs one workshop at a time, :func:`use` sets the language and ``_``,
  ``ngettext``, ``pgettext`` and the formatters follow it;
- in the poll service, which serves rooms in several languages at once, :func:`translator`
  gives the functions of one language, and :func:`page_catalog` the strings a page needs.
"""

from __future__ import annotations

import gettext
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal as _babel_decimal
from babel.numbers import format_percent as _babel_percent

__all__ = [
    "DEFAULT_LANGUAGE",
    "LOCALE_DIR",
    "N_",
    "Translator",
    "UnknownLanguageError",
    "_",
    "active",
    "check_language",
    "format_date",
    "format_datetime",
    "format_number",
    "format_percent",
    "html_lang",
    "language_name",
    "languages",
    "ngettext",
    "page_catalog",
    "pgettext",
    "speaking",
    "translator",
    "use",
]

#: The language of the code's own strings, and of a room that names none.
DEFAULT_LANGUAGE = "en"
#: Where the catalogs are: ``<language>/LC_MESSAGES/peerkit.po`` and the template.
LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "peerkit"
_CODE = re.compile(r"^[a-z]{2,3}(?:_[A-Z]{2})?$")


class UnknownLanguageError(ValueError):
    """A language peerkit has no catalog for (the message lists the ones it has)."""


def languages() -> tuple[str, ...]:
    """The languages peerkit can show: English and every language with a catalog."""
    found = {
        p.parent.parent.name
        for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")
        if _CODE.match(p.parent.parent.name)
    }
    return tuple(sorted(found | {DEFAULT_LANGUAGE}))


def check_language(language: str | None) -> str:
    """``language`` as peerkit names it (``es``, ``pt_BR``), or :data:`DEFAULT_LANGUAGE` for
    None or empty. ``es-ES`` and ``ES`` are accepted; a region falls back to its language when
    only that has a catalog. Raises :class:`UnknownLanguageError` for one without a catalog."""
    if not language:
        return DEFAULT_LANGUAGE
    text = str(language).strip().replace("-", "_")
    lang, _sep, region = text.partition("_")
    name = f"{lang.lower()}_{region.upper()}" if region else lang.lower()
    known = languages()
    for candidate in (name, lang.lower()):
        if candidate in known:
            return candidate
    raise UnknownLanguageError(
        f"no translation for language {language!r}; peerkit can show: {', '.join(known)}"
    )


@dataclass(frozen=True)
class Translator:
    """The translation functions of one language."""

    language: str
    catalog: gettext.NullTranslations

    def gettext(self, message: str) -> str:
        return self.catalog.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.catalog.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        return self.catalog.pgettext(context, message)

    @property
    def locale(self) -> Locale:
        return _locale(self.language)


@cache
def _locale(language: str) -> Locale:
    try:
        return Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT_LANGUAGE)


@cache
def translator(language: str | None = None) -> Translator:
    """The translation functions of ``language`` (checked with :func:`check_language`)."""
    language = check_language(language)
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():  # English: the code's own strings
        return Translator(language, gettext.NullTranslations())
    with path.open("rb") as f:
        catalog = read_po(f, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out, as gettext does
    compiled.seek(0)
    return Translator(language, gettext.GNUTranslations(compiled))


_active: Translator | None = None
#: A language named for a block of code (:func:`speaking`), ahead of the kernel's.
_scoped: ContextVar[Translator | None] = ContextVar("peerkit_language", default=None)


def use(language: str | None) -> str:
    """Show this kernel's peerkit widgets, headings and messages in ``language`` from now on.
    Returns the language as peerkit names it."""
    global _active
    _active = translator(language)
    return _active.language


def active() -> str:
    """The language this kernel shows peerkit in."""
    return _current().language


def _current() -> Translator:
    return _scoped.get() or _active or translator(DEFAULT_LANGUAGE)


@contextmanager
def speaking(language: str | None) -> Iterator[None]:
    """Inside this block, ``_``, ``ngettext``, ``pgettext`` and the formatters use ``language``
    (None: the kernel's, unchanged). Only this thread or task is affected, so the poll service
    can build views for rooms in several languages at once without setting the process's."""
    if language is None:
        yield
        return
    token = _scoped.set(translator(language))
    try:
        yield
    finally:
        _scoped.reset(token)


def _(message: str) -> str:
    """``message`` in the active language."""
    return _current().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a counted message that fits ``n``, in the active language."""
    return _current().ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in the active language, where ``context`` tells same-worded messages apart."""
    return _current().pgettext(context, message)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogs without translating it (translate it where shown)."""
    return message


def html_lang(language: str) -> str:
    """A language as HTML's ``lang`` and HTTP's ``Content-Language`` write it (``pt_BR`` ->
    ``pt-BR``)."""
    return language.replace("_", "-")


def language_name(language: str | None = None) -> str:
    """A language's own name for itself, capitalised: "English", "Español"."""
    language = check_language(language) if language else active()
    name = _locale(language).get_display_name(_locale(language)) or language
    return name[:1].upper() + name[1:]


def format_number(value: float, language: str | None = None, digits: int = 1) -> str:
    """A number as the language writes it (``1,234.5`` / ``1.234,5``), at most ``digits``
    decimals and no trailing zeros."""
    return _number(value, language or active(), digits)


def format_percent(fraction: float, language: str | None = None) -> str:
    """A fraction as a whole percentage (``0.25`` → ``25%`` / ``25 %``)."""
    return _percent(fraction, language or active())


# Views write the same few counts and percentages again and again (the service builds a chart
# at each change in a room), so Babel writes each one once.
@lru_cache(maxsize=4096)
def _number(value: float, language: str, digits: int) -> str:
    pattern = "#,##0" + ("." + "#" * digits if digits > 0 else "")
    return _babel_decimal(value, format=pattern, locale=_locale(language))


@lru_cache(maxsize=1024)
def _percent(fraction: float, language: str) -> str:
    return _babel_percent(fraction, locale=_locale(language))


def format_date(value: date, language: str | None = None, width: str = "long") -> str:
    """A date as the language writes it (``2 December 2026`` / ``2 de diciembre de 2026``)."""
    return _babel_date(value, format=width, locale=_locale(language or active()))


def format_datetime(value: datetime, language: str | None = None, width: str = "medium") -> str:
    """A date and time as the language writes it."""
    return _babel_datetime(value, format=width, locale=_locale(language or active()))


@cache
def page_catalog(language: str | None = None) -> dict:
    """What a web page (the phone page, the presenter display) needs to show ``language``:
    ``{"language", "messages": {msgid: text}, "plurals": {msgid: {category: text}}}``.

    Plural messages are keyed by their singular msgid; their forms by CLDR category ("one",
    "other", ...), which the browser picks with ``Intl.PluralRules``. Only translated messages
    are listed; a page shows the msgid of one that is missing, so English needs no catalog.
    """
    t = translator(language)
    messages: dict[str, str] = {}
    plurals: dict[str, dict[str, str]] = {}
    path = LOCALE_DIR / t.language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if path.exists():
        with path.open("rb") as f:
            catalog = read_po(f, locale=t.language, domain=DOMAIN)
        categories = _plural_categories(t)
        for m in catalog:
            if not m.id or m.fuzzy or not m.string or m.context:
                continue
            if m.pluralizable:
                singular, plural = m.id
                plurals[singular] = {
                    category: t.ngettext(singular, plural, n) for category, n in categories
                }
            else:
                messages[m.id] = m.string
    return {"language": t.language, "messages": messages, "plurals": plurals}


def _plural_categories(t: Translator) -> list[tuple[str, int]]:
    """One sample count per CLDR plural category of the language (``[("one", 1), ("other",
    0)]``): the browser names the category, the catalog's own rule picks the form for it."""
    seen: dict[str, int] = {}
    for n in [*range(0, 1001), *(10**k for k in range(4, 10))]:
        seen.setdefault(t.locale.plural_form(n), n)
    return sorted(seen.items())
