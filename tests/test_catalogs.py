"""The translation catalogs: the template holds exactly what the code marks, every language's
catalog translates all of it, and each translation keeps its placeholders.

The commands that bring them up to date are in docs/translating.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from peerkit import i18n

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = i18n.LOCALE_DIR / "peerkit.pot"
PLACEHOLDER = re.compile(r"\{(\w*)\}")
UPDATE = "see docs/translating.md: pybabel extract, then pybabel update"


def _method_map() -> list[tuple[str, str]]:
    """The [method: pattern] sections of babel.cfg, as Babel reads them."""
    sections = re.findall(r"^\[(\w+):\s*(.+?)\]\s*$", (ROOT / "babel.cfg").read_text(), re.M)
    return [(pattern, method) for method, pattern in sections]


def _key(message) -> tuple:
    singular = message.id[0] if isinstance(message.id, tuple) else message.id
    return (message.context, singular)


def _catalog(path: Path, locale: str | None = None):
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def _in_package(path: str) -> bool:
    """Walk only peerkit/ (not the venv, node_modules or test output), as babel.cfg names it."""
    parts = Path(path).relative_to(ROOT).parts
    return not parts or (parts[0] == "peerkit" and not parts[-1].startswith((".", "_")))


def _extracted() -> dict[tuple, object]:
    found = {}
    for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT), method_map=_method_map(), directory_filter=_in_package
    ):
        singular = message[0] if isinstance(message, tuple) else message
        found[(context, singular)] = message
    return found


def _languages() -> list[str]:
    return [language for language in i18n.languages() if language != i18n.DEFAULT_LANGUAGE]


def test_babel_cfg_covers_the_python_javascript_and_page_sources() -> None:
    methods = dict((m, p) for p, m in _method_map())
    assert set(methods) == {"python", "javascript", "jinja2"}
    assert _extracted(), "the extraction found no marked strings"


def test_the_template_holds_exactly_what_the_code_marks() -> None:
    code = _extracted()
    template = {_key(m): m for m in _catalog(TEMPLATE) if m.id}
    missing = sorted(str(k[1]) for k in code.keys() - template.keys())
    stale = sorted(str(k[1]) for k in template.keys() - code.keys())
    assert not missing, f"marked in the code but not in peerkit.pot ({UPDATE}): {missing[:10]}"
    assert not stale, f"in peerkit.pot but no longer in the code ({UPDATE}): {stale[:10]}"
    for key, message in code.items():  # a plural in the code is a plural in the template
        assert isinstance(message, tuple) == template[key].pluralizable, key


@pytest.mark.parametrize("language", _languages())
def test_every_language_translates_every_message(language: str) -> None:
    path = i18n.LOCALE_DIR / language / "LC_MESSAGES" / "peerkit.po"
    catalog = _catalog(path, language)
    template = {_key(m) for m in _catalog(TEMPLATE) if m.id}
    entries = {_key(m): m for m in catalog if m.id}
    assert template - entries.keys() == set(), f"{path}: messages not in the catalog ({UPDATE})"
    assert entries.keys() - template == set(), f"{path}: messages no longer in the code"
    assert not catalog.obsolete, f"{path}: remove the obsolete (#~) entries"
    untranslated = [str(k[1]) for k, m in entries.items() if not all(_forms(m))]
    fuzzy = [str(k[1]) for k, m in entries.items() if m.fuzzy]
    assert not untranslated, f"{path}: untranslated: {untranslated[:10]}"
    assert not fuzzy, f"{path}: marked fuzzy (check, then remove the flag): {fuzzy[:10]}"
    assert catalog.num_plurals == len(
        next((m.string for m in entries.values() if m.pluralizable), ("",) * catalog.num_plurals)
    ), f"{path}: each plural needs {catalog.num_plurals} forms"


@pytest.mark.parametrize("language", _languages())
def test_translations_keep_their_placeholders(language: str) -> None:
    path = i18n.LOCALE_DIR / language / "LC_MESSAGES" / "peerkit.po"
    wrong = []
    for m in _catalog(path, language):
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        wanted = set(PLACEHOLDER.findall(ids[-1])) | set(PLACEHOLDER.findall(ids[0]))
        for form in _forms(m):
            # A singular form may say "one" in words instead of {count}; nothing may be added.
            have = set(PLACEHOLDER.findall(form))
            if have - wanted or (not m.pluralizable and have != wanted):
                wrong.append((ids[0], form))
    assert not wrong, f"{path}: placeholders differ from the English: {wrong[:5]}"


def _forms(message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def test_placeholder_check_catches_a_dropped_name(tmp_path: Path) -> None:
    po = tmp_path / "x.po"
    po.write_text('msgid "{count} answered"\nmsgstr "respondieron"\n', encoding="utf-8")
    (message,) = [m for m in _catalog(po, "es") if m.id]
    assert set(PLACEHOLDER.findall(message.id)) != set(PLACEHOLDER.findall(message.string))


@pytest.mark.parametrize("language", _languages())
def test_pages_get_a_form_for_every_plural_category(language: str) -> None:
    catalog = i18n.page_catalog(language)
    assert catalog["language"] == language
    for singular, forms in catalog["plurals"].items():
        assert {"one", "other"} <= forms.keys(), singular
        assert all(forms.values()), singular
