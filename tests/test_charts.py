"""Charts: the view model and its states, describe(), the static PNGs, and chart.js drawing a view
model in Chromium as text (checked with axe-core)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from nodetools import axe_script
from PIL import Image

from peerkit import charts as static
from peerkit import chartview as charts
from peerkit.chartview import chart_state, chart_view, pre_post_view
from peerkit.model import (
    PASS,
    ChoiceQuestion,
    Option,
    ScaleQuestion,
    TextQuestion,
    compare_pre_post,
    tally,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ROOT = Path(__file__).resolve().parent.parent
CHART_JS = ROOT / "peerkit" / "static" / "chart.js"
CHART_CSS = ROOT / "peerkit" / "static" / "chart.css"
ARTIFACTS = ROOT / "test-artifacts"


def housing_call() -> ChoiceQuestion:
    """Modelled on data/scenarios/rescuer.yaml: five options, one without a position."""
    return ChoiceQuestion(
        id="housing-call",
        title="The housing office call",
        prompt="What would you do next?",
        options=(
            Option("a", "I'd ring the housing office myself, there and then.", "rescuing", 1),
            Option("b", "I'd write her a word-for-word script of what to say.", "takes-over", 3),
            Option("c", "I'd ask what feels hardest about the call.", "autonomy-supporting", 9),
            Option("d", "I'd tell her it's her tenancy and move on.", "withdrawing"),
            Option(
                "e", "I'd mention I used to dread calls like this too.", "autonomy-supporting", 8
            ),
        ),
    )


def unplaced() -> ChoiceQuestion:
    return ChoiceQuestion(
        id="unplaced", prompt="Which?", options=(Option("a", "This one"), Option("b", "That one"))
    )


def autonomy_control() -> ScaleQuestion:
    """Modelled on data/scales/autonomy-control.yaml."""
    return ScaleQuestion(
        id="autonomy-control",
        title="Deciding for, or deciding with?",
        prompt="When someone I support faces a hard choice, I tend to ...",
        low_label="I decide for them",
        high_label="They decide; I support",
        anchors=((0, "I make the decision"), (5, "We talk it through"), (10, "They decide")),
    )


def reflection() -> TextQuestion:
    return TextQuestion(id="rescuer-closing", prompt="What could you ask instead?")


def votes(**counts: int) -> list[str]:
    return [key.replace("pass_", PASS) for key, n in counts.items() for _ in range(n)]


# a 3, c 6, e 3, one pass: 12 answered, a 25%, c 50%, e 25%; lean (3*1 + 6*9 + 3*8) / 12 = 6.75
GROUP = votes(a=3, c=6, e=3, pass_=1)
SCALE_VALUES = [3, 5, 5, 6, 6, 6, 7, 8, 10, PASS, PASS]


def pre_post_comparison() -> dict:
    pre = {f"p{i}": v for i, v in enumerate([2, 3, 3, 4, 5, 5, 6, 7])}
    post = {f"p{i}": v for i, v in enumerate([4, 5, 3, 6, 5, 7, 8, 7])}
    return compare_pre_post(autonomy_control(), pre, post).as_dict()


# --------------------------------------------------------------------------- the room's rules


@pytest.mark.parametrize(
    "facts, state",
    [
        ({"solo": True, "has_example": True}, "illustrative"),
        ({"solo": True}, "solo"),
        ({"opened": False, "facilitator": True}, "waiting"),
        ({"facilitator": False, "has_tally": False, "revealed": True}, "withheld"),
        ({"facilitator": True, "answered": 2}, "below-minimum"),
        ({"facilitator": True, "answered": 2, "respect_minimum": False}, "hidden"),
        ({"facilitator": True}, "hidden"),
        ({"facilitator": True, "revealed": True}, "shown"),
        ({"facilitator": False, "revealed": True}, "shown"),
    ],
)
def test_chart_state(facts: dict, state: str) -> None:
    given = {
        "facilitator": False,
        "solo": False,
        "opened": True,
        "revealed": False,
        "answered": 5,
        "min_group": 3,
        "has_tally": True,
        **facts,
    }
    assert chart_state(**given) == state


# --------------------------------------------------------------------------- the view model


def test_choice_view_has_letters_counts_percentages_and_lean() -> None:
    question = housing_call()
    view = chart_view(question, tally(question, GROUP), status="Open")
    assert view["kind"] == "choice" and view["state"] == "shown" and view["banner"] == ""
    assert [(b["letter"], b["count"], b["percent"]) for b in view["bars"]] == [
        ("a", 3, 25),
        ("b", 0, 0),
        ("c", 6, 50),
        ("d", 0, 0),
        ("e", 3, 25),
    ]
    assert view["bars"][0]["label"] == question.options[0].text
    assert view["passes"] == 1 and view["answered"] == 12
    assert view["lean"] == {
        "value": 6.8,
        "words": "Group leans 6.8 of 10 towards autonomy-supporting",
    }
    assert "c: 6 (50%)" in view["caption"] and "I'd ask" not in view["caption"]
    assert json.loads(json.dumps(view)) == view


def test_withheld_views_carry_no_numbers() -> None:
    question = housing_call()
    data = tally(question, GROUP)
    for state in ("waiting", "withheld", "below-minimum"):
        view = chart_view(question, data, state=state, min_group=20)
        assert all("count" not in bar for bar in view["bars"]), state
        assert "%" not in view["caption"] and "lean" not in view
    below = chart_view(question, data, state="below-minimum", min_group=20)
    assert below["banner"] == "Results appear once at least 20 people have answered (12 so far)"
    with pytest.raises(ValueError, match="unknown chart state"):
        chart_view(question, data, state="secret")


def test_hidden_and_illustrative_views_say_so() -> None:
    question = housing_call()
    data = tally(question, GROUP)
    hidden = chart_view(question, data, state="hidden")
    assert hidden["banner"] == "Hidden from participants"
    assert hidden["caption"].startswith("Hidden from participants.")
    example = chart_view(question, data, state="illustrative", own_answer="c")
    assert example["banner"].startswith("Illustrative example group")
    assert [b["letter"] for b in example["bars"] if b.get("own")] == ["c"]
    solo = chart_view(question, None, state="solo", own_answer="e")
    assert solo["caption"].startswith("Your answer: e")


def test_scale_view_has_distribution_median_and_quartiles() -> None:
    question = autonomy_control()
    view = chart_view(question, tally(question, SCALE_VALUES), own_answer=6)
    scale = view["scale"]
    assert (scale["median"], scale["q1"], scale["q3"], scale["own"]) == (6, 5, 7, 6)
    assert len(scale["points"]) == 11 and scale["points"][6] == {
        "value": 6,
        "count": 3,
        "percent": 33,
    }
    assert scale["low"] == "I decide for them" and view["answered"] == 9


def test_pre_post_view_has_both_rounds_and_the_shift() -> None:
    view = pre_post_view(autonomy_control(), pre_post_comparison())
    assert [s["label"] for s in view["series"]] == ["Before", "After"]
    assert view["shift"]["words"] == "Median moved from 4.5 to 5.5 (+1)"
    withheld = pre_post_view(autonomy_control(), pre_post_comparison(), min_group=10)
    assert "series" not in withheld and withheld["state"] == "below-minimum"


def test_a_tally_for_another_question_is_refused() -> None:
    with pytest.raises(ValueError, match="is for"):
        chart_view(housing_call(), tally(unplaced(), ["a"]))


def test_chart_view_reads_the_typed_tally_and_its_json_alike() -> None:
    question = housing_call()
    typed = tally(question, GROUP)
    assert chart_view(question, typed.as_dict()) == chart_view(question, typed)
    with pytest.raises(TypeError, match="must be a tally"):
        chart_view(question, [("a", 1)])  # type: ignore[arg-type]


# --------------------------------------------------------------------------- static PNGs


@pytest.mark.parametrize(
    "make",
    [
        lambda: static.poll_png(housing_call(), tally(housing_call(), GROUP)),
        lambda: static.poll_png(autonomy_control(), tally(autonomy_control(), SCALE_VALUES)),
        lambda: static.poll_png(reflection(), tally(reflection(), ["x", "y"])),
        lambda: static.poll_png(housing_call(), tally(housing_call(), GROUP), below_minimum=50),
        lambda: static.pre_post_png(autonomy_control(), pre_post_comparison()),
    ],
    ids=["choice", "scale", "text", "below-minimum", "pre-post"],
)
def test_static_charts_are_pngs(make) -> None:
    png = make()
    assert png.startswith(PNG_SIGNATURE)
    width, height = Image.open(io.BytesIO(png)).size
    assert width == 750 and 150 <= height <= 600


def test_static_charts_use_okabe_ito_and_never_pyplot() -> None:
    assert static.PALETTE[5] == "#0072B2" and len(static.PALETTE) == 8
    code = (
        "import sys, peerkit.charts;"
        "assert 'matplotlib' in sys.modules, 'charts should load matplotlib';"
        "print('matplotlib.pyplot' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


# --------------------------------------------------------------------------- chart.js


@pytest.fixture(scope="module")
def page():
    from chromium import chromium

    with chromium() as browser:
        tab = browser.new_page(viewport={"width": 1280, "height": 900})
        css = CHART_CSS.read_text()
        tab.set_content(
            "<!doctype html><html lang='en'><head><title>charts</title>"
            f"<style>{css}</style></head><body><main id='out'></main></body></html>"
        )
        # The module as the service and anywidget load it, plus a handle for the test.
        source = CHART_JS.read_text() + "\nwindow.drawChart = drawChart;\n"
        tab.add_script_tag(content=source, type="module")
        tab.wait_for_function("window.drawChart !== undefined")
        tab.add_script_tag(path=str(axe_script()))
        yield tab


def _draw(page, views: list[dict]) -> None:
    page.evaluate(
        """views => {
            const out = document.getElementById('out');
            out.replaceChildren();
            for (const view of views) {
                const el = document.createElement('section');
                out.append(el);
                window.drawChart(el, view);
            }
        }""",
        views,
    )


def _views() -> list[dict]:
    question, scale = housing_call(), autonomy_control()
    data = tally(question, GROUP)
    return [
        chart_view(question, data, state="hidden", status="Open · 13 responses"),
        chart_view(question, data, state="illustrative", own_answer="c"),
        chart_view(question, data, state="below-minimum", min_group=20),
        chart_view(scale, tally(scale, SCALE_VALUES), own_answer=5),
        pre_post_view(scale, pre_post_comparison()),
    ]


def test_chart_js_writes_every_number_as_text(page) -> None:
    views = _views()
    _draw(page, views)
    text = page.inner_text("#out")
    for bar in views[0]["bars"]:
        assert f"{bar['count']} ({bar['percent']}%)" in text and bar["label"] in text
    assert "Hidden from participants" in text and "Your answer" in text
    assert "median 6" in text and "Median moved from 4.5 to 5.5" in text
    assert "Results appear once at least 20" in text
    assert page.locator("img").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chart-js.png"), full_page=True)


def test_chart_js_redraw_keeps_its_live_region(page) -> None:
    question = housing_call()
    _draw(page, [chart_view(question, None, state="waiting")])
    page.evaluate("window.region = document.querySelector('[role=status]')")
    page.evaluate(
        "view => window.drawChart(document.querySelector('#out section'), view)",
        chart_view(question, tally(question, GROUP), state="hidden"),
    )
    assert page.evaluate("window.region === document.querySelector('[role=status]')")
    assert page.inner_text("[role=status]") == "Hidden from participants"


def test_chart_js_passes_axe(page) -> None:
    _draw(page, _views())
    result = page.evaluate("async () => (await axe.run('#out')).violations")
    bad = [(v["id"], v["impact"]) for v in result if v["impact"] in ("critical", "serious")]
    assert bad == []


# --------------------------------------------------------------------------- describe


def test_describe_choice_gives_counts_percentages_passes_and_lean() -> None:
    text = charts.describe(housing_call(), tally(housing_call(), GROUP))
    assert "12 answers" in text
    assert "a: 3 (25%) — I'd ring the housing office myself" in text
    assert "b: 0 (0%)" in text
    assert "c: 6 (50%)" in text
    assert "e: 3 (25%)" in text
    assert "Pass: 1" in text
    assert "Group leans 6.8 of 10 towards autonomy-supporting" in text
    assert charts.HIDDEN_LABEL not in text


def test_describe_lean_towards_controlling_and_none() -> None:
    question = housing_call()
    low = charts.describe(question, tally(question, votes(a=3, b=1)))
    assert "Group leans 1.5 of 10 towards controlling / rescuing" in low
    # Only unplaced options chosen: there is no lean to report.
    assert "leans" not in charts.describe(question, tally(question, ["d"]))


def test_describe_withholds_what_the_chart_withholds() -> None:
    question = housing_call()
    data = tally(question, ["a", "c", PASS])
    text = charts.describe(question, data, below_minimum=3, hidden_from_participants=True)
    assert "Results appear once at least 3 people have answered (2 so far)" in text
    assert "Hidden from participants" in text
    assert "%" not in text
    assert "a: 1" not in text


def test_describe_illustrative_and_own_answer() -> None:
    question = housing_call()
    text = charts.describe(question, None, illustrative=tally(question, GROUP), own_answer="c")
    assert text.startswith("Illustrative example group, not real responses.")
    assert "Your answer: c — I'd ask what feels hardest about the call." in text
    assert "c: 6 (50%)" in text


def test_describe_scale() -> None:
    question = autonomy_control()
    text = charts.describe(question, tally(question, SCALE_VALUES), own_answer=5)
    assert "9 answers" in text
    assert "2 passes" in text
    assert "Median 6; middle half from 5 to 7" in text
    assert "6: 3 (33%)" in text
    assert "0: 0 (0%)" in text
    assert "Your answer: 5 (We talk it through)" in text


def test_describe_text_and_nothing_yet() -> None:
    text = charts.describe(reflection(), tally(reflection(), ["a", "b", PASS]))
    assert text == "2 reflections, 1 pass."
    assert charts.describe(housing_call(), None) == "No responses yet."


def test_describe_pre_post() -> None:
    question = autonomy_control()
    text = charts.describe_pre_post(question, pre_post_comparison())
    assert "Before: 8 answers" in text
    assert "After: 8 answers" in text
    assert "Median moved from 4.5 to 5.5 (+1)" in text
    # pairs: 2->4, 3->5, 3->3, 4->6, 5->5, 5->7, 6->8, 7->7
    assert "Of 8 people who answered both times" in text
    assert "5 moved towards “They decide; I support”" in text
    assert "0 towards “I decide for them”" in text
    assert "3 unchanged" in text
    withheld = charts.describe_pre_post(question, pre_post_comparison(), below_minimum=10)
    assert withheld == "Results appear once at least 10 people have answered (8 so far)."
