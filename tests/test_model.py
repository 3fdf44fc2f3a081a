"""The pure question model: kinds, validation, tallies, pre/post and the privacy rule."""

from __future__ import annotations

import json
import re

import pytest

from peerkit.model import (
    PASS,
    ChoiceQuestion,
    ChoiceTally,
    ModelError,
    Option,
    ResponseError,
    ScaleQuestion,
    ScaleTally,
    TextQuestion,
    TextTally,
    compare_pre_post,
    question_from_dict,
    question_to_dict,
    results_visible,
    tally,
    tally_from_dict,
)


def choice(n: int = 3) -> ChoiceQuestion:
    positions = [1, 4, 9, None, 6, 2]
    return ChoiceQuestion(
        id="housing-call",
        prompt="What would you do next?",
        vignette="Dana has put off phoning the housing office.",
        options=tuple(
            Option(id=chr(ord("a") + i), text=f"Response {i}", position=positions[i])
            for i in range(n)
        ),
    )


def scale(**overrides: object) -> ScaleQuestion:
    values = dict(
        id="autonomy-control",
        prompt="When someone faces a hard choice, I tend to ...",
        low_label="I decide for them",
        high_label="They decide; I support",
        anchors=((0, "I take over"), (5, "We decide together"), (10, "They lead")),
    )
    values.update(overrides)
    return ScaleQuestion(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("count", [1, 7])
def test_choice_needs_two_to_six_options(count: int) -> None:
    options = tuple(Option(id=f"o{i}", text="x") for i in range(count))
    with pytest.raises(ModelError, match=f"2 to 6 options, got {count}") as caught:
        ChoiceQuestion(id="q", prompt="Now?", options=options)
    assert caught.value.field == "options"


@pytest.mark.parametrize("count", [2, 6])
def test_choice_accepts_two_and_six_options(count: int) -> None:
    assert len(choice(count).options) == count


def test_option_rules() -> None:
    with pytest.raises(ModelError, match="reserved"):
        Option(id=PASS, text="Skip")
    with pytest.raises(ModelError, match="'stance' must be one of"):
        Option(id="a", text="x", stance="bossy")
    with pytest.raises(ModelError, match="from 0 to 10"):
        Option(id="a", text="x", position=11)
    with pytest.raises(ModelError, match="must not be empty"):
        Option(id="a", text="   ")
    with pytest.raises(ModelError, match="used twice"):
        ChoiceQuestion(id="q", prompt="Now?", options=(Option("a", "x"), Option("a", "y")))


def test_choice_validation() -> None:
    q = choice()
    assert q.validate("b") == "b"
    assert q.validate(PASS) == PASS
    with pytest.raises(
        ResponseError, match="'z' is not an option of 'housing-call'; choose one of a, b, c"
    ):
        q.validate("z")
    with pytest.raises(ResponseError, match="must be an option id, not a number"):
        q.validate(2)


def test_scale_rules() -> None:
    with pytest.raises(ModelError, match="poles must differ") as caught:
        scale(high_label="i decide for them")
    assert caught.value.field == "high_label"
    with pytest.raises(ModelError, match="must be below"):
        scale(min=10, max=0)
    with pytest.raises(ModelError, match="does not divide"):
        scale(step=3)
    with pytest.raises(ModelError, match="anchor 12 is not a point"):
        scale(anchors=((0, "low"), (12, "beyond")))
    with pytest.raises(ModelError, match="'step' must be above 0"):
        scale(step=0)


def test_scale_validation_and_anchors() -> None:
    q = scale()
    assert q.validate(7) == 7
    assert q.validate(PASS) == PASS
    for bad, message in [
        (11, "outside the scale"),
        (-1, "outside the scale"),
        (2.5, "not a point"),
        ("7", "must be a number"),
        (True, "must be a number"),
        (float("nan"), "must be a number"),
    ]:
        with pytest.raises(ResponseError, match=message):
            q.validate(bad)
    assert q.anchor_for(0) == "I take over"
    assert q.anchor_for(7) == "We decide together"
    assert q.anchor_for(10) == "They lead"
    ends = scale(anchors=((0, "I take over"), (10, "They lead")))
    assert [ends.anchor_for(v) for v in (0, 4, 5, 6, 9)] == ["I take over"] * 3 + ["They lead"] * 2
    half = scale(min=1, max=3, step=0.5, anchors=())
    assert half.points == (1, 1.5, 2, 2.5, 3)
    assert half.validate(2.5) == 2.5


def test_text_validation() -> None:
    q = TextQuestion(id="closing", prompt="One thing you will try?", max_length=20)
    assert q.validate("  Ask, not tell.  ") == "Ask, not tell."
    assert q.validate(PASS) == PASS
    with pytest.raises(ResponseError, match="21 characters; the limit is 20"):
        q.validate("x" * 21)
    with pytest.raises(ResponseError, match="empty"):
        q.validate("   ")
    with pytest.raises(ModelError, match="max_length"):
        TextQuestion(id="closing", prompt="?", max_length=0)


def test_choice_tally_counts_percentages_and_lean() -> None:
    result = tally(choice(), ["a", "b", "b", "c", PASS, "c", "c"])
    assert dict(result.counts) == {"a": 1, "b": 2, "c": 3}
    assert (result.answered, result.passes, result.total) == (6, 1, 7)
    assert result.percentages() == pytest.approx({"a": 100 / 6, "b": 200 / 6, "c": 50.0})
    assert result.lean == pytest.approx((1 * 1 + 4 * 2 + 9 * 3) / 6)
    empty = tally(choice(), [])
    assert empty.percentages() == {"a": 0.0, "b": 0.0, "c": 0.0}
    assert empty.lean is None


def test_lean_ignores_options_off_the_spectrum() -> None:
    result = tally(choice(4), ["d", "d", "c"])
    assert result.lean == 9


def test_scale_tally() -> None:
    result = tally(scale(), [2, 4, 4, 6, 9, PASS])
    assert (result.n, result.passes) == (5, 1)
    assert (result.q1, result.median, result.q3) == (4, 4, 6)
    assert result.mean == 5
    hist = dict(result.histogram)
    assert hist[4] == 2 and hist[0] == 0 and sum(hist.values()) == 5
    one = tally(scale(), [3])
    assert (one.q1, one.median, one.q3) == (3, 3, 3)
    none = tally(scale(), [PASS])
    assert none.median is None and none.passes == 1


def test_pre_post_pairs_by_participant_only() -> None:
    q = scale()
    pre = {1: 2, 2: 5, 3: PASS, 4: 8}
    post = {1: 6, 2: 5, 3: 7, 5: 9}
    comparison = compare_pre_post(q, pre, post)
    assert comparison.paired == ((2, 6), (5, 5))
    assert comparison.moved == {"towards_high": 1, "towards_low": 0, "unchanged": 1}
    assert comparison.pre.median == 5 and comparison.post.median == 6.5
    assert comparison.median_shift == 1.5


def test_results_visible_needs_reveal_and_minimum_answers() -> None:
    q = choice()
    two = tally(q, ["a", "b", PASS, PASS])
    three = tally(q, ["a", "b", "c"])
    assert not results_visible(two, revealed=True)
    assert not results_visible(three, revealed=False)
    assert results_visible(three, revealed=True)
    assert not results_visible(three, revealed=True, min_group=4)


@pytest.mark.parametrize(
    "question", [choice(), scale(), TextQuestion(id="t", prompt="Why?", max_length=80)]
)
def test_question_round_trips_through_dict(question: object) -> None:
    assert question_from_dict(question_to_dict(question)) == question


@pytest.mark.parametrize(
    "data, message",
    [
        ({"kind": "poll"}, "'kind' must be choice, scale or text"),
        ({"kind": "choice", "id": "q", "prompt": "?", "options": "ab"}, "'options' must be a list"),
        (
            {"kind": "choice", "id": "q", "prompt": "?", "options": [1, 2]},
            "each option must be an object",
        ),
        (
            {
                "kind": "scale",
                "id": "q",
                "prompt": "?",
                "low_label": "a",
                "high_label": "b",
                "min": "0",
            },
            "'min' must be a number",
        ),
        ({"kind": "text", "id": "Bad Id", "prompt": "?"}, "lowercase letters"),
        ([1, 2], "must be an object"),
    ],
)
def test_question_from_dict_rejects_bad_input(data: object, message: str) -> None:
    with pytest.raises(ModelError, match=message):
        question_from_dict(data)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- tallies as JSON

TEXT = TextQuestion(id="closing", prompt="What will you try?")
TALLIES = {
    "choice": tally(choice(), ["a", "b", "b", "c", PASS]),  # lean 4.75
    "choice, a third": tally(choice(), ["a", "b", "c"]),  # lean 4.666..., shares of 33.3%
    "choice, no answers": tally(choice(), []),
    "choice, off the spectrum": tally(choice(4), ["d", PASS]),
    "scale": tally(scale(), [2, 4, 4, 6, 9, PASS]),
    "scale, a mean of thirds": tally(scale(), [1, 2, 2]),
    "scale, half steps": tally(scale(step=0.5), [0.5, 7.5]),
    "scale, passes only": tally(scale(), [PASS]),
    "text": tally(TEXT, ["One thing", PASS]),
    "text, nobody": tally(TEXT, []),
}


@pytest.mark.parametrize("name", TALLIES)
def test_tally_round_trips_through_the_services_json(name: str) -> None:
    original = TALLIES[name]
    sent = json.loads(json.dumps(original.as_dict()))  # what the service's reply carries
    parsed = tally_from_dict(sent)
    assert parsed == original and type(parsed) is type(original)
    assert type(original).from_dict(sent) == original
    assert parsed.as_dict() == original.as_dict()


def test_tallies_hold_what_the_json_carries() -> None:
    thirds = TALLIES["choice, a third"]
    assert isinstance(thirds, ChoiceTally) and thirds.lean == 4.67
    mean = TALLIES["scale, a mean of thirds"]
    assert isinstance(mean, ScaleTally) and mean.mean == 1.67


def _sent(name: str, **changes: object) -> dict:
    data = TALLIES[name].as_dict()
    data.update(changes)
    return data


def _without(name: str, key: str) -> dict:
    data = TALLIES[name].as_dict()
    del data[key]
    return data


@pytest.mark.parametrize(
    "data, field, message",
    [
        (None, "tally", "a tally must be an object, not null"),
        ([1, 2], "tally", "a tally must be an object, not an array"),
        (_sent("choice", kind="poll"), "tally.kind", "'kind' must be choice, scale or text"),
        (_without("choice", "counts"), "tally.counts", "the choice tally has no 'counts'"),
        (_without("scale", "histogram"), "tally.histogram", "has no 'histogram'"),
        (_without("text", "n"), "tally.n", "the text tally has no 'n'"),
        (_sent("choice", question_id="Not An Id"), "tally.question_id", "lowercase letters"),
        (_sent("choice", counts={"A!": 1}), "tally.counts", "an option id must be"),
        (_sent("choice", counts=[1, 2]), "tally.counts", "'counts' must be an object"),
        (_sent("choice", counts={"a": -1, "b": 2}), "tally.counts.a", "0 or more, got -1"),
        (_sent("choice", counts={"a": 1.5}), "tally.counts.a", "whole number"),
        (_sent("choice", passes=True), "tally.passes", "whole number"),
        (_sent("choice", lean="high"), "tally.lean", "must be a number"),
        (_sent("choice", total=9), "tally.total", "'total' is 9 but its other figures make it 5"),
        (_sent("choice", percentages={"a": 50.0}), "tally.percentages", "'percentages' is"),
        (_sent("scale", histogram=[[1, 2, 3]]), "tally.histogram", "[value, count] pairs"),
        (_sent("scale", histogram=[["x", 1]]), "tally.histogram", "must be a number"),
        (_sent("scale", median="4"), "tally.median", "must be a number"),
        (_sent("scale", n=6), "tally.total", "'total' is 6 but its other figures make it 7"),
        (_sent("text", n="1"), "tally.n", "whole number"),
    ],
)
def test_tally_from_dict_names_what_is_wrong(data: object, field: str, message: str) -> None:
    with pytest.raises(ModelError, match=re.escape(message)) as caught:
        tally_from_dict(data)
    assert caught.value.field == field


def test_each_tally_kind_reads_only_its_own_kind() -> None:
    with pytest.raises(ModelError, match="expected a scale tally, got kind 'choice'"):
        ScaleTally.from_dict(TALLIES["choice"].as_dict())
    with pytest.raises(ModelError, match="expected a text tally"):
        TextTally.from_dict(TALLIES["scale"].as_dict())
