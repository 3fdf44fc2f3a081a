"""The content loader and ``peerkit validate``: shipped content passes, broken files are caught."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from peerkit.cli import main
from peerkit.content import ContentError, Safety, load_content, validate_path
from peerkit.model import ChoiceQuestion, ScaleQuestion, TextQuestion

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
BAD = Path(__file__).resolve().parent / "fixtures" / "bad_content"
BAD_FILES = sorted(BAD.rglob("*.yaml"))
PRINCIPLES = ("what-peer-support-is", "rescuer", "empowerment", "mutuality", "autonomy")


def expectations(path: Path) -> list[tuple[int, str]]:
    """The ``# expect: LINE: message`` lines at the top of a broken fixture."""
    found = re.findall(r"^# expect: (\d+): (.+)$", path.read_text(), flags=re.MULTILINE)
    return [(int(line), message) for line, message in found]


def test_there_are_at_least_ten_broken_fixtures() -> None:
    assert len(BAD_FILES) >= 10
    assert all(expectations(path) for path in BAD_FILES)


@pytest.mark.parametrize("path", BAD_FILES, ids=lambda p: p.stem)
def test_validate_names_file_and_line_of_each_problem(
    path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    relative = path.relative_to(ROOT)
    assert main(["validate", str(relative)]) == 1
    out = capsys.readouterr().out
    for line, message in expectations(path):
        assert f"{relative}:{line}: {message}" in out, out


def test_validate_command_exit_status_and_summary() -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "peerkit", "validate", str(DATA)], capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert re.fullmatch(r".*: OK: \d+ modules, \d+ scenarios, \d+ scales, \d+ prompts\n", ok.stdout)
    bad = subprocess.run(
        [sys.executable, "-m", "peerkit", "validate", str(BAD / "one-option.yaml")],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1
    assert "one-option.yaml:8:" in bad.stdout
    assert "1 problem found" in bad.stderr


def test_shipped_content_is_complete() -> None:
    content = load_content(DATA)
    core = [m.id for m in content.ordered_modules() if m.kind != "extension"]
    assert core == ["setup", *PRINCIPLES, "wrap-up"]
    for module_id in PRINCIPLES:
        module = content.module(module_id)
        assert module.kind == "principle"
        assert 2 <= len(module.objectives) <= 6
        assert module.minutes >= 30
        assert module.discussion
        scenarios = content.scenarios_for(module_id)
        assert len(scenarios) >= 4, module_id
        for scenario in scenarios:
            stances = {option.stance for option in scenario.question.options}
            assert "autonomy-supporting" in stances, scenario.id
            assert stances & {"controlling", "rescuing", "takes-over"}, scenario.id
            assert scenario.question.debrief, scenario.id
        assert content.scales_for(module_id), module_id
        assert content.prompts_for(module_id), module_id
    scale = content.pre_post_scale.question
    assert (scale.min, scale.max) == (0, 10)
    assert scale.low_label == "I decide for them"
    assert scale.high_label == "They decide; I support"
    assert content.safety.flag_terms and content.safety.resources


def test_shipped_examples_cover_every_question() -> None:
    content = load_content(DATA)
    assert set(content.examples.choices) == set(content.scenarios)
    assert set(content.examples.scales) == set(content.scales)
    assert "illustrative" in content.examples.note.lower()


def test_content_builds_model_questions() -> None:
    content = load_content(DATA)
    scenario = next(iter(content.scenarios.values()))
    assert isinstance(content.question(scenario.id), ChoiceQuestion)
    assert isinstance(content.question(content.pre_post_scale.id), ScaleQuestion)
    prompt = next(iter(content.prompts.values()))
    assert isinstance(content.question(prompt.id), TextQuestion)
    with pytest.raises(KeyError, match="no scenario, scale or prompt"):
        content.question("no-such-thing")


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


def test_added_scenario_file_joins_its_module(data_copy: Path) -> None:
    (data_copy / "scenarios" / "rescuer-extra.yaml").write_text(
        """module: rescuer
scenarios:
  - id: moving-day
    title: Moving day
    vignette: >
      Kofi is moving flat on Saturday and has asked nobody for help. You have a free weekend
      and a car.
    question: What would you do next?
    options:
      - {id: a, text: Turn up on Saturday with the car., stance: rescuing, position: 2}
      - id: b
        text: Ask Kofi how the move is shaping up and whether he wants a hand.
        stance: autonomy-supporting
        position: 9
"""
    )
    content = load_content(data_copy)
    assert "moving-day" in [s.id for s in content.scenarios_for("rescuer")]


def test_folder_checks_references_between_files(data_copy: Path) -> None:
    path = data_copy / "scenarios" / "stray.yaml"
    path.write_text(
        "module: no-such-module\nscenarios:\n  - id: stray\n    title: Stray\n"
        "    vignette: A scenario with nowhere to go.\n    question: Now what?\n"
        "    options:\n      - {id: a, text: One}\n      - {id: b, text: Two}\n"
    )
    problems, content = validate_path(data_copy)
    assert content is None
    assert any(
        p.path.endswith("stray.yaml")
        and p.line == 3
        and "module 'no-such-module' does not exist" in p.message
        for p in problems
    ), problems


def test_duplicate_ids_across_files_name_both_places(data_copy: Path) -> None:
    first = next(iter(load_content(data_copy).scenarios))
    (data_copy / "scenarios" / "copy.yaml").write_text(
        f"module: rescuer\nscenarios:\n  - id: {first}\n    title: Again\n"
        "    vignette: The same id twice.\n    question: Now what?\n"
        "    options:\n      - {id: a, text: One}\n      - {id: b, text: Two}\n"
    )
    with pytest.raises(ContentError) as caught:
        load_content(data_copy)
    message = str(caught.value)
    assert f"scenario id '{first}' is already used at" in message


def test_every_problem_in_a_folder_is_reported_at_once(data_copy: Path) -> None:
    shutil.copy(BAD / "one-option.yaml", data_copy / "scenarios" / "one-option.yaml")
    shutil.copy(BAD / "many-problems.yaml", data_copy / "scenarios" / "many-problems.yaml")
    problems, _ = validate_path(data_copy)
    files = {Path(p.path).name for p in problems}
    assert {"one-option.yaml", "many-problems.yaml"} <= files
    assert len(problems) >= 5


def test_missing_path_is_reported(tmp_path: Path) -> None:
    problems, content = validate_path(tmp_path / "nowhere")
    assert content is None
    assert "no such file or folder" in problems[0].message


def test_safety_flags_whole_words_and_phrases() -> None:
    safety = Safety(flag_terms=("kill myself", "suicide"))
    assert safety.flags("Some days I want to KILL\n  myself") == ["kill myself"]
    assert safety.flags("thinking about suicide.") == ["suicide"]
    assert safety.flags("I enjoyed the role play today") == []
    assert safety.flags("I want to skill myself up on listening") == []
    curly = Safety(flag_terms=("can't go on",))
    assert curly.flags("I can\u2019t go on like this") == ["can't go on"]


def test_shipped_flag_terms_catch_crisis_wording() -> None:
    safety = load_content(DATA).safety
    assert safety.flags("I have thought about suicide")
    assert safety.flags("Honestly I just want to end it all")
    assert not safety.flags("The empowerment scenario made me think about my own team")
