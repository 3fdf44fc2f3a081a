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
MISTAKES = Path(__file__).resolve().parent / "fixtures" / "educator_mistakes"


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
    assert "1 problem found" in bad.stdout, "the whole report is on stdout"


def test_shipped_content_is_complete() -> None:
    """Every module in data/ has what its kind needs, read from data/ rather than listed here,
    so a module an educator adds is checked the same way."""
    content = load_content(DATA)
    ordered = content.ordered_modules()
    assert ordered[0].kind == "opening" and ordered[-1].kind == "closing"
    for module in ordered:
        needs = module.needs
        assert 2 <= len(module.objectives) <= 6
        assert module.minutes >= 30
        assert module.discussion
        scenarios = content.scenarios_for(module.id)
        assert len(scenarios) >= needs.scenarios, module.id
        assert len(content.prompts_for(module.id)) >= needs.prompts, module.id
        if needs.slider:
            assert content.scales_for(module.id), module.id
        for scenario in scenarios:
            assert all(option.stance for option in scenario.question.options), scenario.id
            assert scenario.question.debrief, scenario.id
    scale = content.pre_post_scale.question
    assert (scale.min, scale.max) == (0, 10)
    assert content.safety.flag_terms and content.safety.resources


def test_shipped_examples_refer_to_real_questions() -> None:
    """Example figures are optional for a scenario an educator adds; those that exist must
    name a real scenario, scale or prompt (validation checks the ids; this checks coverage
    of the pre/post scale, which the closing chart needs in self-paced mode)."""
    content = load_content(DATA)
    assert set(content.examples.choices) <= set(content.scenarios)
    assert set(content.examples.scales) <= set(content.scales)
    assert content.pre_post_scale.id in content.examples.scales
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
    (data_copy / "scenarios" / "rescuer-test-only.yaml").write_text(
        """module: rescuer
scenarios:
  - id: test-moving-van
    title: The van on Saturday
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
    assert "test-moving-van" in [s.id for s in content.scenarios_for("rescuer")]


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
        and p.line == 1
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
    assert f"scenario id '{first}' is also used at" in message


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


# --------------------------------------------------------------------------- educator mistakes


def test_every_educator_mistake_is_reported_in_one_run_at_its_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """tests/fixtures/educator_mistakes/: realistic mistakes in several files at once, laid over
    a copy of data/. One `peerkit validate` reports each, at its file and line, in plain words,
    and nothing else: no "does not exist" for a module that has a problem of its own."""
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    expected = []
    for path in sorted(MISTAKES.rglob("*.yaml")):
        relative = path.relative_to(MISTAKES)
        shutil.copy(path, data / relative)
        expected += [(f"data/{relative}", line, words) for line, words in expectations(path)]
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "data"]) == 1
    report = capsys.readouterr().out.splitlines()
    for path, line, words in expected:
        assert any(r.startswith(f"{path}:{line}: {words}") for r in report), (path, line, report)
    # The shipped file that holds the other copy of the duplicate id is named too; nothing more.
    assert len(report) == len(expected) + 2, report
    assert "does not exist" not in "\n".join(r for r in report if "hopes" not in r)
    assert report[-1] == f"{len(report) - 1} problems found in data"
    kinds = " ".join(words for _, _, words in expected)
    for plain in ("indentation", "a tab", "a colon inside unquoted text", "did you mean"):
        assert plain in kinds


def test_expectations_of_the_mistakes_are_real() -> None:
    """The fixture set covers the mistakes it is meant to, each with an expectation."""
    names = {p.name for p in MISTAKES.rglob("*.yaml")}
    assert {"20-looking-ahead.yaml", "empowerment-tab.yaml", "mutuality-folded.yaml"} <= names
    assert sum(len(expectations(p)) for p in MISTAKES.rglob("*.yaml")) >= 10


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("a: 1\nb:\n  - x\n\t- y\n", 4, "a tab"),
        ("title: Note: a colon\n", 1, "a colon inside unquoted text"),
        ("id: x\n  kind: principle\n", 2, "indentation"),
        ("a: >\n  one\nb\nc: 2\n", 3, "indentation"),
        ('a: "never closed\nb: 2\n', 1, "a quote opens here"),
    ],
)
def test_yaml_syntax_errors_in_plain_words(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    path = tmp_path / "modules" / "x.yaml"
    path.parent.mkdir()
    path.write_text(text)
    problems, _ = validate_path(path)
    assert [(p.line, words in p.message) for p in problems] == [(line, True)], problems
    assert "while parsing" not in problems[0].message


def test_a_broken_file_does_not_hide_the_others(data_copy: Path) -> None:
    (data_copy / "scenarios" / "a-broken.yaml").write_text("module: rescuer\nscenarios:\n\t- x\n")
    (data_copy / "prompts" / "extra.yaml").write_text(
        "prompts:\n  - id: extra\n    module: rescuer\n    txt: A question?\n"
    )
    problems, _ = validate_path(data_copy)
    assert {(Path(p.path).name, p.line) for p in problems} == {
        ("a-broken.yaml", 3),
        ("extra.yaml", 4),
    }, problems


def test_a_principle_module_must_have_what_its_notebook_shows(data_copy: Path) -> None:
    """Two scenarios, no slider, no prompt: three problems at the module's 'kind' line, each
    saying what to add, instead of an IndexError in the notebook."""
    for folder, name in (("scales", "principles.yaml"), ("prompts", "reflections.yaml")):
        path = data_copy / folder / name
        path.write_text(path.read_text().replace("module: rescuer", "module: autonomy"))
    for other in (data_copy / "scenarios").glob("*.yaml"):  # an educator's extra files too
        if "\nmodule: rescuer\n" in f"\n{other.read_text()}" and other.name != "rescuer.yaml":
            other.unlink()
    path = data_copy / "scenarios" / "rescuer.yaml"
    text = path.read_text()
    third = [m.start() for m in re.finditer(r"\n  - id: ", text)][2]
    path.write_text(text[:third] + "\n")
    problems, _ = validate_path(data_copy)
    messages = [p.message for p in problems if p.path.endswith("02-rescuer.yaml")]
    assert {p.line for p in problems if p.path.endswith("02-rescuer.yaml")} == {3}
    assert any("has 2 for it: add 1 more scenario" in m for m in messages), messages
    assert any("add a scale with 'module: rescuer'" in m for m in messages), messages
    assert any("add one with 'module: rescuer'" in m for m in messages), messages
    assert len([p for p in problems if "examples" not in p.path]) == 3, problems


def test_a_misspelt_kind_is_named_with_the_other_problems_of_its_file(data_copy: Path) -> None:
    path = data_copy / "modules" / "02-rescuer.yaml"
    text = path.read_text().replace("kind: principle", "kind: principal")
    path.write_text(text.replace("title:", "titel:", 1))
    problems, _ = validate_path(data_copy)
    assert [(p.line, p.message) for p in problems] == [
        (3, "'kind' must be one of opening, principle, extension, closing, got 'principal': "
            "did you mean 'principle'?"),
        (4, "unknown key 'titel': did you mean 'title'?"),
    ]  # fmt: skip
    path.write_text(text.replace("kind: principal", "kind: [principle]"))
    problems, _ = validate_path(data_copy)
    assert any("'kind' must be text" in p.message for p in problems), problems


# --------------------------------------------------------------------------- language


def _say_language(path: Path, language: str) -> None:
    """Put ``language: <language>`` on the file's first line."""
    path.write_text(f"language: {language}\n{path.read_text()}")


def test_shipped_content_is_in_english() -> None:
    assert load_content(DATA).language == "en"


def test_the_folder_is_in_the_language_its_files_name(data_copy: Path) -> None:
    for module in (data_copy / "modules").glob("*.yaml"):
        _say_language(module, "es")
    _say_language(data_copy / "scenarios" / "rescuer.yaml", "es-ES")  # the same language
    content = load_content(data_copy)
    assert content.language == "es"
    assert "rescuer" in content.modules  # the key is not a field of the module
    problems, single = validate_path(data_copy / "scenarios" / "rescuer.yaml")
    assert problems == [] and single is not None and single.language == "es"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("fr", "'language' must be one of en, es, got 'fr'"),
        ("3", "'language' must be text, got a whole number"),
        ("''", "'language' must not be empty"),
    ],
)
def test_an_unknown_language_is_named_at_its_line(
    data_copy: Path, value: str, message: str
) -> None:
    path = data_copy / "scales" / "principles.yaml"
    _say_language(path, value)
    problems, content = validate_path(data_copy)
    assert content is None
    assert [(Path(p.path).name, p.line, p.message) for p in problems] == [
        ("principles.yaml", 1, message)
    ]


def test_files_in_different_languages_name_each_other(data_copy: Path) -> None:
    module = sorted((data_copy / "modules").glob("*.yaml"))[0]
    scales = sorted((data_copy / "scales").glob("*.yaml"))[0]
    _say_language(module, "es")
    _say_language(scales, "en")
    problems, content = validate_path(data_copy)
    assert content is None
    (problem,) = problems
    assert problem.line == 1
    assert "'language' is" in problem.message and "one language" in problem.message
    named = {Path(problem.path).name, Path(problem.message.split("but ")[1].split(":")[0]).name}
    assert named == {module.name, scales.name}


def test_a_safety_list_in_another_language_does_not_name_the_folders_language(
    data_copy: Path,
) -> None:
    spanish = (data_copy / "safety.es.yaml").read_text(encoding="utf-8")
    assert "language: es" in spanish
    problems, content = validate_path(data_copy)
    assert problems == [] and content is not None
    assert content.language == "en"
    assert content.safety.for_language("es") is not None
