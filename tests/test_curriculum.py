"""The curriculum as a trainer would judge it: answers that can't be read off the page, varied
settings, real dilemmas, and extension modules that are complete. Each test prints its figures."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from statistics import mean

from peerkit.content import Content, Scenario, load_content
from peerkit.model import ChoiceQuestion, Option

DATA = Path(__file__).resolve().parent.parent / "data"
PRINCIPLES = ("what-peer-support-is", "rescuer", "empowerment", "mutuality", "autonomy")
EXTENSIONS = ("boundaries", "trauma-informed", "self-care", "crisis")
REQUIRED_SETTINGS = {
    "community-mental-health",
    "inpatient-ward",
    "substance-use",
    "young-adults",
    "lgbtq-group",
    "faith-community",
    "prison-probation",
    "online-text-support",
    "rural",
    "housing-homelessness",
}


def content() -> Content:
    return load_content(DATA)


def most_autonomy_supporting(scenario: Scenario) -> Option | None:
    """The option furthest towards the autonomy end; of options tied there, the longest."""
    placed = [o for o in scenario.question.options if o.position is not None]
    if not placed:
        return None
    top = max(o.position for o in placed)
    return max((o for o in placed if o.position == top), key=lambda o: len(o.text))


def guessability(scenarios: list[Scenario]) -> tuple[float, float, Counter[int]]:
    """(share of scenarios whose most autonomy-supporting option is the longest,
    mean length of those options / mean length of all the others, where they sit)."""
    longest, best_lengths, other_lengths, places = 0, [], [], Counter()
    for scenario in scenarios:
        best = most_autonomy_supporting(scenario)
        if best is None:
            continue
        options = scenario.question.options
        others = [o for o in options if o is not best]
        longest += len(best.text) >= max(len(o.text) for o in others)
        best_lengths.append(len(best.text))
        other_lengths += [len(o.text) for o in others]
        places[options.index(best)] += 1
    counted = len(best_lengths)
    return longest / counted, mean(best_lengths) / mean(other_lengths), places


def test_the_best_answer_cannot_be_read_off_the_page() -> None:
    scenarios = list(content().scenarios.values())
    share, ratio, places = guessability(scenarios)
    print(
        f"\nguessability over {len(scenarios)} scenarios: most autonomy-supporting option is the "
        f"longest in {share:.0%} (goal <= 33%); its mean length is {ratio:.2f}x the others' "
        f"(goal <= 1.20x); it sits at place "
        + ", ".join(f"{'abcdef'[i]}: {n}" for i, n in sorted(places.items()))
    )
    assert share <= 1 / 3
    assert ratio <= 1.2
    # No single place holds the answer most of the time.
    assert max(places.values()) <= len(scenarios) / 2


def test_guessability_measure_can_fail() -> None:
    options = (
        Option("a", "Take over.", stance="rescuing", position=1),
        Option("b", "Ask what she wants, offer choices, and back her decision.", position=9),
        Option("c", "Walk away.", stance="withdrawing"),
    )
    question = ChoiceQuestion(id="giveaway", prompt="Now what?", options=options)
    share, ratio, places = guessability([Scenario("rescuer", question)])
    assert share == 1 and ratio > 4 and places == Counter({1: 1})


def test_scenarios_span_at_least_ten_settings() -> None:
    scenarios = list(content().scenarios.values())
    settings = Counter(s.setting for s in scenarios)
    print(f"\n{len(settings)} settings over {len(scenarios)} scenarios:")
    for setting, count in sorted(settings.items()):
        print(f"  {setting}: {count}")
    assert all(s.setting for s in scenarios), [s.id for s in scenarios if not s.setting]
    assert len(settings) >= 10
    assert REQUIRED_SETTINGS <= set(settings), REQUIRED_SETTINGS - set(settings)


def test_every_principle_module_has_a_genuine_dilemma() -> None:
    c = content()
    for module_id in PRINCIPLES:
        dilemmas = [s for s in c.scenarios_for(module_id) if s.dilemma]
        print(f"\n{module_id}: dilemmas {[s.id for s in dilemmas]}", end="")
        assert dilemmas, module_id
        for scenario in dilemmas:
            options = scenario.question.options
            # Thoughtful peers disagree: at least two options are defensible stances.
            supportive = [o for o in options if o.stance == "autonomy-supporting"]
            assert len(supportive) >= 2, scenario.id
            assert len(scenario.question.debrief) > 200, scenario.id
            assert all(o.debrief for o in options), scenario.id


def test_extension_modules_are_complete_and_optional() -> None:
    c = content()
    extensions = [m.id for m in c.ordered_modules() if m.kind == "extension"]
    assert extensions == list(EXTENSIONS)
    for module_id in EXTENSIONS:
        module = c.module(module_id)
        scenarios = c.scenarios_for(module_id)
        print(f"\n{module_id}: {len(scenarios)} scenarios, {module.minutes} minutes", end="")
        assert len(scenarios) >= 3, module_id
        assert all(
            s.question.debrief and all(o.debrief for o in s.question.options) for s in scenarios
        ), module_id
        assert c.scales_for(module_id) and c.prompts_for(module_id), module_id
        assert 2 <= len(module.objectives) <= 6 and module.discussion
        assert 30 <= module.minutes <= 75, module_id
    crisis = c.module("crisis")
    # Peer practice: asking directly, staying, help the person chooses, policy and its limits.
    text = " ".join([crisis.summary, *crisis.objectives]).lower()
    for phrase in ("directly", "stay", "choose", "policy", "confidential", "not clinical advice"):
        assert phrase in text, phrase


def test_curriculum_page_lists_every_scenario_with_its_setting() -> None:
    page = (DATA.parent / "docs" / "curriculum.md").read_text(encoding="utf-8")
    c = content()
    for scenario in c.scenarios.values():
        row = next((line for line in page.splitlines() if f"`{scenario.id}`" in line), "")
        assert scenario.setting in row, scenario.id
    for module in c.ordered_modules():
        assert f"`{module.id}`" in page or f"-{module.id}`" in page, module.id


def test_notebooks_show_dilemmas_support_and_optional_sessions() -> None:
    from peerkit import Workshop

    rescuer = Workshop("rescuer")
    index = next(i for i, s in enumerate(rescuer.scenarios) if s.dilemma)
    assert "A dilemma: there is no single best answer" in rescuer.debrief(index).value
    assert "dilemma" in rescuer.vote_note(index).data
    assert "A dilemma" not in rescuer.debrief(0).value
    support = Workshop("crisis").support().data
    for resource in content().safety.resources:
        assert resource.name in support and resource.contact in support
    after_core = Workshop("autonomy").next().data
    assert "Boundaries and ethics" in after_core and "if your day includes it" in after_core
    assert "Bringing it together" in after_core
    assert "if your day includes it" not in Workshop("crisis").next().data
