"""Python text is translated when it is shown: widgets, workshop headings, charts and the hub's
page speak the language active at that moment, from a catalog read at that moment.

The catalog here is a made-up one, written for the test into a temporary locale folder: each
translation is its English text in brackets, so a test can tell translated text from English.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from peerkit import ScenarioVote, Workshop, i18n
from peerkit.chartview import chart_view, describe, fmt
from peerkit.client import LocalSession
from peerkit.service.hubauth import page
from peerkit.widgets.chart import responses_words
from peerkit.widgets.stage import seen_by

#: A language Babel knows (its plural rule: 0 and 1 are singular) with no catalog in peerkit.
FAKE = "fr"

MESSAGES = {
    "Submit answer": "[Submit answer]",
    "Pass / prefer not to say": "[Pass / prefer not to say]",
    "Your answer": "[Your answer]",
    "By the end of this session you will be able to": "[By the end of this session]",
    "Debrief: {title}": "[Debrief] {title}",
    "Waiting for the facilitator to open this question": "[Waiting]",
    "Skip to content": "[Skip]",
}
PLURALS = {
    ("{count} response", "{count} responses"): ("[{count} response]", "[{count} responses]"),
}


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _write_catalog(folder: Path) -> None:
    lines = [
        'msgid ""',
        'msgstr ""',
        f'"Language: {FAKE}\\n"',
        '"Plural-Forms: nplurals=2; plural=(n > 1);\\n"',
        '"Content-Type: text/plain; charset=utf-8\\n"',
        "",
    ]
    for msgid, msgstr in MESSAGES.items():
        lines += [f"msgid {_quote(msgid)}", f"msgstr {_quote(msgstr)}", ""]
    for (singular, plural), forms in PLURALS.items():
        lines += [
            f"msgid {_quote(singular)}",
            f"msgid_plural {_quote(plural)}",
            f"msgstr[0] {_quote(forms[0])}",
            f"msgstr[1] {_quote(forms[1])}",
            "",
        ]
    target = folder / FAKE / "LC_MESSAGES" / "peerkit.po"
    target.parent.mkdir(parents=True)
    target.write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture
def fake_language(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The made-up catalog in place of peerkit's; the kernel's language is English again after."""
    _write_catalog(tmp_path)
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    monkeypatch.setattr(i18n, "_active", None)
    i18n.translator.cache_clear()
    i18n.page_catalog.cache_clear()
    yield FAKE
    i18n.use(None)
    i18n.translator.cache_clear()
    i18n.page_catalog.cache_clear()


@pytest.fixture
def solo(content) -> LocalSession:
    return LocalSession(content=content)


def test_a_widget_is_labelled_in_the_language_active_when_it_is_built(
    fake_language: str, solo: LocalSession
) -> None:
    assert i18n.use(fake_language) == FAKE
    vote = ScenarioVote(solo, "housing-call")
    assert vote.submit.description == "[Submit answer]"
    assert vote.options.description == "[Your answer]"
    assert vote.options.options[-1][0] == "[Pass / prefer not to say]"
    # The same module constants, shown again in English: nothing was frozen at import.
    i18n.use("en")
    again = ScenarioVote(solo, "housing-call")
    assert again.submit.description == "Submit answer"
    assert again.options.options[-1][0] == "Pass / prefer not to say"


def test_workshop_headings_are_translated_when_shown(
    fake_language: str, solo: LocalSession
) -> None:
    ws = Workshop("rescuer", session=solo)
    assert "By the end of this session you will be able to" in ws.intro().value
    i18n.use(fake_language)
    intro = ws.intro().value
    assert "[By the end of this session]" in intro
    assert "By the end of this session you will be able to" not in intro
    title = ws.scenarios[0].question.title
    assert f"[Debrief] {title}" in ws.debrief(0).value.replace("&#x27;", "'")


def test_chart_text_and_numbers_follow_the_active_language(
    fake_language: str, solo: LocalSession
) -> None:
    question = solo.content.question("housing-call")
    i18n.use(fake_language)
    view = chart_view(question, None, state="waiting")
    assert view["banner"] == "[Waiting]"
    assert fmt(6.5) == "6,5"  # the language's decimal comma
    # A count takes the catalog's plural form (in this language 0 and 1 are singular) and is
    # written as the language writes numbers.
    assert responses_words(0) == "[0 response]"
    assert responses_words(1234) == f"[{i18n.format_number(1234)} responses]"
    assert i18n.format_number(1234) != "1,234"
    # A message the catalog lacks is shown in English.
    assert seen_by(None, 0).startswith("Not opened yet.")
    assert describe(question, None) == "No responses yet."


def test_the_hub_page_uses_the_translator_it_is_given(fake_language: str) -> None:
    shown = page("Start a room", "<p>body</p>", i18n.translator(fake_language)).decode()
    assert '<html lang="fr">' in shown and "[Skip]" in shown
    assert i18n.active() == "en"  # a page never changes the kernel's language
    assert "Skip to content" in page("Start a room", "<p>body</p>").decode()


def test_a_chart_can_be_built_in_a_named_language(fake_language: str, solo: LocalSession) -> None:
    """The service builds charts for rooms in several languages: it names the room's language
    and leaves the process's alone."""
    question = solo.content.question("housing-call")
    view = chart_view(question, None, state="waiting", language=fake_language)
    assert view["banner"] == "[Waiting]"
    assert i18n.active() == "en"
    assert chart_view(question, None, state="waiting")["banner"] == (
        "Waiting for the facilitator to open this question"
    )
    with pytest.raises(i18n.UnknownLanguageError):
        chart_view(question, None, state="waiting", language="xx")
