"""Charts: PNG output, redraw in place, the hidden / minimum / illustrative modes, describe()."""

from __future__ import annotations

import io
import subprocess
import sys
from collections import Counter

import pytest
from matplotlib import _pylab_helpers
from matplotlib.text import Text
from PIL import Image

from peerkit import charts
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
BLUE = (0x00, 0x72, 0xB2)  # bars of real results
SKY = (0x56, 0xB4, 0xE9)  # bars of illustrative results
VERMILLION = (0xD5, 0x5E, 0x00)  # your answer, the lean marker
YELLOW = (0xF0, 0xE4, 0x42)  # the "Hidden from participants" banner


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


def _pixels(image: Image.Image) -> Counter:
    data = image.convert("RGB").tobytes()
    return Counter(zip(data[0::3], data[1::3], data[2::3], strict=True))


def colours(png: bytes) -> Counter:
    return _pixels(Image.open(io.BytesIO(png)))


def region_colours(png: bytes, box: tuple[float, float, float, float]) -> Counter:
    image = Image.open(io.BytesIO(png))
    w, h = image.size
    left, top, right, bottom = box
    return _pixels(image.crop((int(left * w), int(top * h), int(right * w), int(bottom * h))))


@pytest.fixture
def choice_chart():
    chart = charts.PollChart(housing_call())
    yield chart
    chart.close()


# --------------------------------------------------------------------------- PNG output


def pre_post_comparison() -> dict:
    pre = {f"p{i}": v for i, v in enumerate([2, 3, 3, 4, 5, 5, 6, 7])}
    post = {f"p{i}": v for i, v in enumerate([4, 5, 3, 6, 5, 7, 8, 7])}
    return compare_pre_post(autonomy_control(), pre, post).as_dict()


@pytest.mark.parametrize(
    "make",
    [
        lambda: charts.PollChart(housing_call()).render(tally(housing_call(), GROUP).as_dict()),
        lambda: charts.PollChart(autonomy_control()).render(
            tally(autonomy_control(), SCALE_VALUES).as_dict()
        ),
        lambda: charts.PollChart(reflection()).render(tally(reflection(), ["x", "y"]).as_dict()),
        lambda: charts.PollChart(housing_call()).render(None),
        lambda: charts.pre_post_png(autonomy_control(), pre_post_comparison()),
    ],
    ids=["choice", "scale", "text", "nothing-yet", "pre-post"],
)
def test_every_chart_is_a_png_of_the_requested_size(make) -> None:
    png = make()
    assert png.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size[0] == 700  # 7 in at 100 dpi
    assert image.size[1] in (360, 420)  # 3.6 in for polls, 4.2 in for before/after


def test_size_and_dpi_are_honoured() -> None:
    chart = charts.PollChart(housing_call(), width=5, height=3, dpi=80)
    png = chart.render(tally(housing_call(), GROUP).as_dict())
    assert Image.open(io.BytesIO(png)).size == (400, 240)


def test_image_changes_with_the_tally_and_is_stable_for_the_same_tally(choice_chart) -> None:
    question = housing_call()
    first = tally(question, GROUP).as_dict()
    second = tally(question, [*GROUP, "b"]).as_dict()
    png1 = choice_chart.render(first)
    png2 = choice_chart.render(second)
    assert png1 != png2
    assert choice_chart.render(first) == png1
    # Nothing from an earlier render leaks into a later one: a fresh chart draws the same.
    choice_chart.render(second, own_answer="c", hidden_from_participants=True, note="x")
    assert choice_chart.render(first) == png1
    fresh = charts.PollChart(question)
    assert fresh.render(first) == png1


def test_scale_image_changes_with_the_tally() -> None:
    chart = charts.PollChart(autonomy_control())
    png1 = chart.render(tally(autonomy_control(), SCALE_VALUES).as_dict())
    png2 = chart.render(tally(autonomy_control(), [*SCALE_VALUES, 0]).as_dict())
    assert png1 != png2
    assert chart.render(tally(autonomy_control(), SCALE_VALUES).as_dict()) == png1


def test_pre_post_image_changes_with_the_comparison() -> None:
    question = autonomy_control()
    chart = charts.PrePostChart(question)
    png1 = chart.render(pre_post_comparison())
    other = compare_pre_post(question, {"a": 2, "b": 3, "c": 4}, {"a": 9, "b": 9, "c": 9})
    png2 = chart.render(other.as_dict())
    assert png1 != png2
    assert chart.render(pre_post_comparison()) == png1
    assert charts.pre_post_png(question, pre_post_comparison()) == png1


# --------------------------------------------------------------------------- modes


def test_results_are_drawn_as_blue_bars_with_a_lean_marker(choice_chart) -> None:
    found = colours(choice_chart.render(tally(housing_call(), GROUP).as_dict()))
    assert found[BLUE] > 2000
    assert found[VERMILLION] > 30  # the lean marker
    assert found[YELLOW] == 0  # no banner


def test_no_lean_strip_without_positions() -> None:
    question = unplaced()
    found = colours(charts.PollChart(question).render(tally(question, ["a", "b"]).as_dict()))
    assert found[BLUE] > 2000
    assert found[VERMILLION] == 0


def test_lean_strip_waits_for_a_placed_answer(choice_chart) -> None:
    question = housing_call()
    png = choice_chart.render(tally(question, ["d", "d"]).as_dict())  # d has no position
    assert colours(png)[VERMILLION] == 0
    assert "No lean yet" in drawn(choice_chart)
    png = choice_chart.render(tally(question, ["d", "c"]).as_dict())
    assert colours(png)[VERMILLION] > 30
    assert "Group leans: 9" in drawn(choice_chart)
    assert "No lean yet" not in drawn(choice_chart)


def test_hidden_banner_is_drawn_top_right(choice_chart) -> None:
    data = tally(housing_call(), GROUP).as_dict()
    plain = choice_chart.render(data)
    hidden = choice_chart.render(data, hidden_from_participants=True)
    assert hidden != plain
    assert region_colours(hidden, (0.55, 0.0, 1.0, 0.15))[YELLOW] > 500
    assert region_colours(plain, (0.55, 0.0, 1.0, 0.15))[YELLOW] == 0
    assert colours(hidden)[BLUE] > 2000  # the results are still there for the facilitator


def test_below_minimum_replaces_the_bars_with_a_message(choice_chart) -> None:
    question = housing_call()
    two = tally(question, ["a", "c", PASS, PASS]).as_dict()  # passes do not count
    withheld = choice_chart.render(two, below_minimum=3)
    shown = choice_chart.render(two)
    assert withheld != shown
    assert colours(withheld)[BLUE] == 0
    assert colours(shown)[BLUE] > 1000
    # Once enough people have answered, the same call shows the results.
    three = tally(question, ["a", "c", "e"]).as_dict()
    assert colours(choice_chart.render(three, below_minimum=3))[BLUE] > 1000


def test_withheld_message_differs_from_waiting_and_hidden(choice_chart) -> None:
    two = tally(housing_call(), ["a", "c"]).as_dict()
    images = {
        choice_chart.render(two, below_minimum=3),
        choice_chart.render(two, below_minimum=5),
        choice_chart.render(None),
        choice_chart.render(two, hidden_from_participants=True),
        choice_chart.render(two),
    }
    assert len(images) == 5


def test_illustrative_results_look_different_and_mark_your_answer(choice_chart) -> None:
    example = tally(housing_call(), GROUP).as_dict()
    real = choice_chart.render(example)
    solo = choice_chart.render(None, illustrative=example)
    mine = choice_chart.render(None, illustrative=example, own_answer="a")
    assert len({real, solo, mine}) == 3
    assert colours(solo)[SKY] > 1000
    assert colours(solo)[BLUE] == 0
    # a's bar turns vermillion: far more of it than the lean marker alone
    assert colours(mine)[VERMILLION] > colours(solo)[VERMILLION] + 300


def test_illustrative_and_real_results_cannot_be_mixed(choice_chart) -> None:
    data = tally(housing_call(), GROUP).as_dict()
    with pytest.raises(ValueError, match="not both"):
        choice_chart.render(data, illustrative=data)


def test_scale_marks_your_answer() -> None:
    chart = charts.PollChart(autonomy_control())
    data = tally(autonomy_control(), SCALE_VALUES).as_dict()
    assert colours(chart.render(data))[VERMILLION] == 0
    assert colours(chart.render(None, illustrative=data, own_answer=3))[VERMILLION] > 200


def test_a_tally_for_another_question_is_refused(choice_chart) -> None:
    with pytest.raises(ValueError, match="is for 'unplaced'"):
        choice_chart.render(tally(unplaced(), ["a"]).as_dict())
    with pytest.raises(ValueError, match="'scale' tally"):
        choice_chart.render({"kind": "scale", "n": 1, "passes": 0})


def test_a_closed_chart_cannot_render(choice_chart) -> None:
    choice_chart.close()
    with pytest.raises(RuntimeError, match="closed"):
        choice_chart.render(None)


def drawn(chart) -> list[str]:
    return [t.get_text() for t in visible_texts(chart.figure)]


def test_choice_chart_writes_counts_percentages_passes_and_lean(choice_chart) -> None:
    choice_chart.render(tally(housing_call(), GROUP).as_dict())
    words = drawn(choice_chart)
    assert "The housing office call" in words
    for label in ("3 (25%)", "0 (0%)", "6 (50%)", "1 (not in %)", "Group leans: 6.8"):
        assert label in words
    assert "Pass / prefer not to say" in words
    assert any(w.startswith("c. I'd ask what feels") for w in words)
    assert "12 answers · 1 pass" in words
    assert not any("Hidden" in w or "Illustrative" in w or "Your answer" in w for w in words)


def test_modes_write_their_labels(choice_chart) -> None:
    question = housing_call()
    data = tally(question, GROUP).as_dict()
    choice_chart.render(data, hidden_from_participants=True)
    assert "Hidden from participants" in drawn(choice_chart)
    choice_chart.render(None, illustrative=data, own_answer="e")
    words = drawn(choice_chart)
    assert "Illustrative example group, not real responses" in words
    assert "3 (25%)  ◀ Your answer" in words
    choice_chart.render(tally(question, ["a", PASS]).as_dict(), below_minimum=3)
    words = drawn(choice_chart)
    assert "Results appear once at least 3 people have answered\n(1 so far)" in words
    assert not any("%" in w for w in words)


def test_scale_chart_writes_poles_median_and_spread() -> None:
    chart = charts.PollChart(autonomy_control())
    chart.render(tally(autonomy_control(), SCALE_VALUES).as_dict())
    words = drawn(chart)
    assert "◀ I decide for them" in words
    assert "They decide; I support ▶" in words
    assert "median 6" in words
    assert any("middle half, 5 to 7" in w and "9 answers · 2 passes" in w for w in words)
    assert "3" in words  # the count above 6


def test_pre_post_chart_writes_shift_and_movers() -> None:
    chart = charts.PrePostChart(autonomy_control())
    chart.render(pre_post_comparison())
    words = drawn(chart)
    assert "before median 4.5" in words
    assert "after median 5.5" in words
    assert any("Median moved from 4.5 to 5.5 (+1)" in w for w in words)
    assert any(w.startswith("Of 8 people who answered both times:\n5 moved towards") for w in words)


def test_text_chart_counts_reflections() -> None:
    chart = charts.PollChart(reflection())
    chart.render(tally(reflection(), ["one", "two", PASS]).as_dict())
    assert "2 reflections, 1 pass" in drawn(chart)


# --------------------------------------------------------------------------- reuse


def test_the_figure_is_reused_and_does_not_grow(choice_chart) -> None:
    question = housing_call()
    figure = choice_chart.figure
    choice_chart.render(tally(question, GROUP).as_dict())
    ax = figure.axes[0]
    sizes = (len(figure.axes), len(figure.texts), len(ax.get_children()))
    for i in range(50):
        answers = votes(a=i % 4, b=i % 3, c=i, d=1, e=i % 5, pass_=i % 2)
        choice_chart.render(tally(question, answers).as_dict())
        assert choice_chart.figure is figure
    assert (len(figure.axes), len(figure.texts), len(ax.get_children())) == sizes
    assert figure.axes[0] is ax
    # Switching modes back and forth rebuilds the same layout, not an ever larger one.
    for _ in range(5):
        choice_chart.render(tally(question, GROUP).as_dict(), hidden_from_participants=True)
        choice_chart.render(tally(question, ["a"]).as_dict(), below_minimum=3)
    choice_chart.render(tally(question, GROUP).as_dict())
    assert (len(figure.axes), len(figure.texts), len(ax.get_children())) == sizes
    assert _pylab_helpers.Gcf.get_num_fig_managers() == 0  # never registered with pyplot


def test_importing_charts_does_not_import_pyplot() -> None:
    code = (
        "import sys, peerkit.charts;"
        "assert 'matplotlib' in sys.modules, 'charts should load matplotlib';"
        "print('matplotlib.pyplot' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


# --------------------------------------------------------------------------- accessibility


def test_palette_is_okabe_ito() -> None:
    assert charts.PALETTE == (
        "#000000",
        "#E69F00",
        "#56B4E9",
        "#009E73",
        "#F0E442",
        "#0072B2",
        "#D55E00",
        "#CC79A7",
    )


def visible_texts(artist) -> list[Text]:
    """Text that is actually drawn: skips anything under a hidden axes, axis or tick."""
    if not artist.get_visible():
        return []
    found = [artist] if isinstance(artist, Text) and artist.get_text().strip() else []
    for child in artist.get_children():
        found += visible_texts(child)
    return found


@pytest.mark.parametrize("mode", ["plain", "hidden", "illustrative", "withheld"])
def test_all_text_is_at_least_11_points(mode: str) -> None:
    for question, answers, own in (
        (housing_call(), GROUP, "c"),
        (autonomy_control(), SCALE_VALUES, 6),
    ):
        chart = charts.PollChart(question)
        data = tally(question, answers).as_dict()
        kwargs = {
            "plain": {"tally": data},
            "hidden": {"tally": data, "hidden_from_participants": True, "note": "Reveal soon"},
            "illustrative": {"tally": None, "illustrative": data, "own_answer": own},
            "withheld": {"tally": data, "below_minimum": 100},
        }[mode]
        chart.render(**kwargs)
        texts = visible_texts(chart.figure)
        assert len(texts) >= 3
        small = [(t.get_text(), t.get_fontsize()) for t in texts if t.get_fontsize() < 11]
        assert not small


# --------------------------------------------------------------------------- describe


def test_describe_choice_gives_counts_percentages_passes_and_lean() -> None:
    text = charts.describe(housing_call(), tally(housing_call(), GROUP).as_dict())
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
    low = charts.describe(question, tally(question, votes(a=3, b=1)).as_dict())
    assert "Group leans 1.5 of 10 towards controlling / rescuing" in low
    # Only unplaced options chosen: there is no lean to report.
    assert "leans" not in charts.describe(question, tally(question, ["d"]).as_dict())


def test_describe_withholds_what_the_chart_withholds() -> None:
    question = housing_call()
    data = tally(question, ["a", "c", PASS]).as_dict()
    text = charts.describe(question, data, below_minimum=3, hidden_from_participants=True)
    assert "Results appear once at least 3 people have answered (2 so far)" in text
    assert "Hidden from participants" in text
    assert "%" not in text
    assert "a: 1" not in text


def test_describe_illustrative_and_own_answer() -> None:
    question = housing_call()
    text = charts.describe(
        question, None, illustrative=tally(question, GROUP).as_dict(), own_answer="c"
    )
    assert text.startswith("Illustrative example group, not real responses.")
    assert "Your answer: c — I'd ask what feels hardest about the call." in text
    assert "c: 6 (50%)" in text


def test_describe_scale() -> None:
    question = autonomy_control()
    text = charts.describe(question, tally(question, SCALE_VALUES).as_dict(), own_answer=5)
    assert "9 answers" in text
    assert "2 passes" in text
    assert "Median 6; middle half from 5 to 7" in text
    assert "6: 3 (33%)" in text
    assert "0: 0 (0%)" in text
    assert "Your answer: 5 (We talk it through)" in text


def test_describe_text_and_nothing_yet() -> None:
    text = charts.describe(reflection(), tally(reflection(), ["a", "b", PASS]).as_dict())
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
