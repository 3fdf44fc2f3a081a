"""Widgets driven without a browser: set traits, click buttons, check what was stored and drawn."""

from __future__ import annotations

import asyncio
import html
import json
import socket
import threading
import time
from contextlib import contextmanager

import ipywidgets.widgets.widget as widget_module
import pytest
from serving import call_json

from peerkit import (
    AutonomySlider,
    FacilitatorConsole,
    LivePollChart,
    ScenarioVote,
    Workshop,
    connect,
)
from peerkit.agenda import module_questions
from peerkit.client import ClientError, LocalSession, RemoteSession
from peerkit.model import PASS
from peerkit.rehearsal import rehearse
from peerkit.watcher import Update
from peerkit.widgets import ReflectionBox


@pytest.fixture
def solo(content) -> LocalSession:
    return LocalSession(content=content)


# --------------------------------------------------------------------------- answering


def test_scenario_vote_submits_and_changes_answer(solo: LocalSession) -> None:
    vote = ScenarioVote(solo, "housing-call")
    question_id = solo.question("housing-call").id
    vote.submit.click()
    assert "Choose an answer first" in vote.status.value
    assert solo.my_answer(question_id) is None
    vote.options.value = "c"
    vote.submit.click()
    assert solo.my_answer(question_id) == "c"
    assert vote.submitted == "c" and vote.choice == "c"
    assert "Saved" in vote.status.value and vote.submit.description == "Change answer"
    vote.options.value = PASS
    vote.submit.click()
    assert solo.my_answer(question_id) == PASS
    assert solo.store.tally(question_id).total == 1


def test_scenario_vote_controls_are_labelled(solo: LocalSession) -> None:
    vote = ScenarioVote(solo, "housing-call")
    labels = [label for label, _ in vote.options.options]
    assert labels[-1] == "Pass / prefer not to say"
    assert vote.options.description == "Your answer"
    assert vote.submit.description and vote.submit.tooltip


def test_scenario_vote_reloads_an_earlier_answer(solo: LocalSession) -> None:
    first = ScenarioVote(solo, "late-night-texts")
    first.options.value = "b"
    first.submit.click()
    again = ScenarioVote(solo, "late-night-texts")
    assert again.options.value == "b"
    assert again.submit.description == "Change answer"


def test_closed_question_shows_a_closed_state(content) -> None:
    session = rehearse(n=3, seed=1)
    info = session.question("housing-call")
    session.act(info.id, "open")
    vote = ScenarioVote(session, "housing-call")
    assert not vote.closed
    session.act(info.id, "close")
    vote.options.value = "a"
    vote.submit.click()
    assert vote.closed and vote.options.disabled and vote.submit.disabled
    assert "closed" in vote.status.value
    assert session.my_answer(info.id) is None
    reopened = ScenarioVote(session, "housing-call")
    assert reopened.closed and reopened.options.disabled


def test_slider_distinguishes_not_answered_from_the_midpoint(solo: LocalSession) -> None:
    slider = AutonomySlider(solo, "autonomy-control", tag="pre")
    question = solo.content.question("autonomy-control")
    assert not slider.answered and slider.submit.disabled
    assert slider.value() is None
    assert "Not answered yet" in slider.anchor.value
    slider.slider.value = 8
    assert slider.answered and not slider.submit.disabled
    assert question.anchor_for(8).split()[0] in slider.anchor.value
    slider.submit.click()
    assert solo.my_answer(solo.question("autonomy-control", "pre").id) == 8
    slider.slider.value = 5
    assert question.anchor_for(5).split()[0] in slider.anchor.value
    slider.submit.click()
    assert solo.my_answer(solo.question("autonomy-control", "pre").id) == 5
    slider.pass_button.click()
    assert solo.my_answer(solo.question("autonomy-control", "pre").id) == PASS


def test_slider_shows_both_poles(solo: LocalSession) -> None:
    slider = AutonomySlider(solo, "autonomy-control")
    text = slider.slider.low + slider.slider.high
    assert "I decide for them" in text and "They decide; I support" in text
    assert slider.slider.description == "Your position"
    assert slider.slider.valuetext == "Not answered yet"


def test_enter_in_an_answer_control_submits(solo: LocalSession) -> None:
    vote = ScenarioVote(solo, "housing-call")
    vote.options.value = "b"
    vote.options._message(vote.options, {"event": "submit"}, [])
    assert solo.my_answer(solo.question("housing-call").id) == "b"
    slider = AutonomySlider(solo, "autonomy-control")
    slider.slider.value = 3
    assert slider.slider.valuetext.startswith("3: ")
    slider.slider._message(slider.slider, {"event": "submit"}, [])
    assert solo.my_answer(solo.question("autonomy-control").id) == 3
    # The browser's value comes with "submit", ahead of any state update still queued.
    slider.slider._message(slider.slider, {"event": "submit", "value": 9}, [])
    assert solo.my_answer(solo.question("autonomy-control").id) == 9
    vote.options._message(vote.options, {"event": "submit", "value": "e"}, [])
    assert solo.my_answer(solo.question("housing-call").id) == "e"


def test_reflection_box_enforces_the_limit(solo: LocalSession) -> None:
    box = ReflectionBox(solo, "rescuer-closing")
    limit = solo.content.question("rescuer-closing").max_length
    box.text.value = "x" * (limit + 1)
    assert "too long" in box.count.value
    box.submit.click()
    assert "limit" in box.status.value
    question_id = solo.question("rescuer-closing").id
    assert solo.my_answer(question_id) is None
    box.text.value = "Ask <b>first</b>, then offer."
    box.submit.click()
    assert solo.my_answer(question_id) == "Ask <b>first</b>, then offer."
    assert "<b>" not in box.status.value


# --------------------------------------------------------------------------- charts


def _arrive(session, question_id: int, answers: list[object]) -> None:
    """Answers from new simulated participants of a rehearsal, one each (the room is told)."""
    session._record(question_id, [(session.store.join(session.room).token, a) for a in answers])


def _bars(chart: LivePollChart) -> dict[str, int]:
    return {bar["letter"]: bar["count"] for bar in chart.view.get("bars", []) if "count" in bar}


def test_chart_follows_a_rehearsal_room(content) -> None:
    session = rehearse(n=25, seed=3)
    chart = LivePollChart(session, "housing-call", follow=False)
    assert chart.view["state"] == "waiting" and chart.view["status"] == "Not opened yet"
    assert _bars(chart) == {}
    info = session.question("housing-call")
    session.act(info.id, "open")
    chart.refresh()
    assert chart.tally.total == 25
    assert chart.view["state"] == "hidden" and chart.view["banner"] == "Hidden from participants"
    assert "hidden from participants" in chart.view["status"]
    counts = dict(chart.tally.counts)
    assert _bars(chart) == {option: counts.get(option, 0) for option in _bars(chart)}
    for option_id, count in counts.items():
        assert f"{option_id}: {count}" in chart.view["caption"]
    session.act(info.id, "reveal")
    chart.refresh()
    assert "shown to participants" in chart.view["status"] and chart.view["state"] == "shown"


def test_chart_respects_the_minimum_group(content) -> None:
    session = rehearse(n=2, seed=4)
    info = session.question("autonomy-control", "pre")
    session.act(info.id, "open")
    chart = LivePollChart(session, "autonomy-control", "pre", follow=False)
    assert chart.view["state"] == "below-minimum"
    assert "at least 3" in chart.view["banner"] and "points" not in chart.view["scale"]
    open_view = LivePollChart(
        session, "autonomy-control", "pre", follow=False, respect_minimum=False
    )
    assert "median" in open_view.view["caption"].lower()


def test_chart_follows_the_watcher_and_coalesces(content) -> None:
    session = rehearse(n=10, seed=5)
    info = session.question("useless")

    async def run() -> LivePollChart:
        chart = LivePollChart(session, "useless")
        assert session.watcher.running
        await asyncio.sleep(0.05)
        before = chart.redraws
        session.act(info.id, "open")
        for answer in ("a", "b", "a"):  # a burst: drawn once, after the opening
            _arrive(session, info.id, [answer])
        for _ in range(100):
            if chart.tally is not None and chart.tally.total == 13:
                break
            await asyncio.sleep(0.02)
        assert chart.redraws - before <= 2
        chart.close()
        assert not chart.following
        session.close()
        return chart

    chart = asyncio.run(run())
    assert chart.tally.total == 13


def test_solo_chart_is_labelled_illustrative(solo: LocalSession) -> None:
    vote = ScenarioVote(solo, "housing-call")
    vote.options.value = "c"
    vote.submit.click()
    chart = LivePollChart(solo, "housing-call")
    assert chart.view["state"] == "illustrative"
    assert "illustrative" in chart.view["caption"].lower()
    assert "your answer" in chart.view["caption"].lower()
    assert [bar["letter"] for bar in chart.view["bars"] if bar.get("own")] == ["c"]


def test_pre_post_chart(content) -> None:
    session = rehearse(n=20, seed=6)
    for tag in ("pre", "post"):
        info = session.question("autonomy-control", tag)
        session.act(info.id, "open")
        session.act(info.id, "close")
    chart = LivePollChart(session, "autonomy-control", compare=True)
    comparison = session.pre_post("autonomy-control")
    assert comparison["paired"] >= 15
    assert chart.view["kind"] == "pre-post"
    assert [s["n"] for s in chart.view["series"]] == [
        comparison["pre"]["n"],
        comparison["post"]["n"],
    ]
    assert str(comparison["paired"]) in chart.view["caption"]


def test_a_chart_update_is_small(content) -> None:
    session = rehearse(n=30, seed=2)
    info = session.question("housing-call")
    session.act(info.id, "open")
    chart = LivePollChart(session, "housing-call", follow=False)
    state = chart.get_state()["view"]
    assert 0 < len(json.dumps(state)) < 2048


# --------------------------------------------------------------------------- console


def test_console_runs_a_question(content) -> None:
    session = rehearse(n=12, seed=7)
    console = FacilitatorConsole(session, module="rescuer")
    scenario_ids = [s.id for s in content.scenarios_for("rescuer")]
    assert (console.current, console.current_tag) == (scenario_ids[0], "")
    assert console.participants == 12
    console.do("open")
    assert "Open" in console.state_label.value and "12 responses" in console.state_label.value
    console.do("reveal")
    assert "shown to participants" in console.state_label.value
    console.do("reset")
    assert session.results(session.question(console.current).id).tally.total == 12
    console.confirm_reset.click()
    assert session.results(session.question(console.current).id).tally.total == 0
    console.buttons["next"].click()
    assert console.current == scenario_ids[1]


def test_console_moderates_and_keeps_flagged_reflections_private(content) -> None:
    session = rehearse(n=4, seed=8)
    console = FacilitatorConsole(session, module="rescuer")
    console.picker.value = ("rescuer-closing", "")
    console.do("open")
    info = session.question("rescuer-closing")
    session.respond(info.id, "Some days I think about suicide.")
    console.refresh()
    assert "may signal crisis" in console.flagged.value
    assert content.safety.resources[0].name in console.flagged.value
    flagged = next(r for r in session.results(info.id).reflections if r["flags"])
    with pytest.raises(ClientError, match="cannot be shown to the group"):
        session.moderate(flagged["id"], True)
    pending = [r for r in session.results(info.id).reflections if not r["flags"]]
    shown = [row for row in console.rows if row.response_id is not None]
    assert len(shown) == min(len(pending), len(console.rows))
    assert all(html.escape(flagged["text"]) not in row.quote.value for row in shown)
    shown[0].approve.click()
    approved = [r for r in session.results(info.id).reflections if r["moderation"] == "approved"]
    assert len(approved) == 1 and not approved[0]["flags"]


def test_console_needs_the_facilitator(solo: LocalSession) -> None:
    with pytest.raises(PermissionError):
        FacilitatorConsole(solo)


def _live_models() -> int:
    return len(widget_module._instances)


def test_no_widget_leaks_over_a_thousand_notifications(content) -> None:
    """A rehearsal room with reflections arriving: the console and charts update in place."""
    session = rehearse(n=3, seed=10)
    workshop = Workshop("rescuer", session)
    console = workshop.console()
    cells = [workshop.scenario(0), workshop.slider(), workshop.reflection()]
    console.picker.value = ("rescuer-closing", "")
    console.do("open")
    info = session.question("rescuer-closing")
    texts = ["Ask first, then offer.", "Notice my urge to fix.", "Some days I think about suicide."]

    scenario = session.question(content.scenarios_for("rescuer")[0].id)
    session.act(scenario.id, "open")

    async def run() -> tuple[int, int]:
        watcher = session.watcher
        await asyncio.sleep(0.05)
        first = None
        for i in range(1000):
            if i % 10 == 0:  # a reflection arrives
                _arrive(session, info.id, [texts[i // 10 % len(texts)]])
            else:  # the facilitator shows and hides the scenario's results
                session.act(scenario.id, "reveal" if i % 2 else "hide")
            await watcher.deliver(session.room_state())
            if first is None:
                first = _live_models()
            if watcher.notifications >= 1000:
                break
        return first, watcher.notifications

    first, notifications = asyncio.run(run())
    assert notifications >= 1000
    assert _live_models() == first
    assert "waiting" in console.private.get_title(0)
    assert cells and console.rows[0].response_id is not None


def test_rerunning_a_cell_stops_the_old_widgets(content) -> None:
    session = rehearse(n=3, seed=11)
    workshop = Workshop("rescuer", session)
    first = workshop.scenario(0)
    before = _live_models()
    again = workshop.scenario(0)
    vote, chart = first.children
    (controls,) = vote.controls.children  # the facilitator's Open / Close / Reveal / Hide
    assert not chart.following and not vote._subscription.active
    assert not controls._subscription.active
    assert _live_models() == before, "the replaced widgets and their parts are closed"
    assert again.children[1].following
    assert session.watcher.subscribers == 3  # the new vote, its controls and its chart


# --------------------------------------------------------------------------- group mode


@pytest.fixture
def room(live_service) -> dict:
    created = call_json(f"{live_service.url}/api/v1/rooms", "POST", {"title": "Widgets"})
    return {"url": live_service.url, **created}


def test_group_mode_vote_reaches_the_service(room, content, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PEERKIT_HOME", str(tmp_path))
    facilitator = RemoteSession(
        room["url"], room["code"], facilitator_key=room["facilitator_key"], content=content
    )
    participant = RemoteSession(room["url"], room["code"].lower(), content=content)
    assert participant.role == "participant" and facilitator.role == "facilitator"
    vote = ScenarioVote(participant, "housing-call")
    vote.options.value = "e"
    vote.submit.click()
    assert "has not opened" in vote.status.value
    info = facilitator.question("housing-call")
    facilitator.act(info.id, "open")
    vote.submit.click()
    assert "Saved" in vote.status.value
    vote.options.value = "c"
    vote.submit.click()
    results = facilitator.results(info.id)
    assert dict(results.tally.counts)["c"] == 1 and results.tally.total == 1
    assert facilitator.participant_count() == 1
    again = RemoteSession(room["url"], room["code"], content=content)
    assert again.my_answer(info.id) == "c", "a restarted kernel keeps its anonymous token"


def test_a_late_earlier_answer_does_not_hide_a_newer_save(room, content, tmp_path, monkeypatch):
    """The widget looks up an earlier answer once, in the background; an answer saved while
    that lookup is on its way is newer, and its "Saved: ..." line stays."""
    monkeypatch.setenv("PEERKIT_HOME", str(tmp_path))
    facilitator = RemoteSession(
        room["url"], room["code"], facilitator_key=room["facilitator_key"], content=content
    )
    participant = RemoteSession(room["url"], room["code"], content=content)
    info = facilitator.question("housing-call")
    facilitator.act(info.id, "open")
    vote = ScenarioVote(participant, "housing-call")
    vote.options.value = "c"

    async def slow_lookup(question_id: int) -> object:
        vote.submit.click()  # saved while the lookup is on its way
        return None

    monkeypatch.setattr(participant, "amy_answer", slow_lookup)
    asyncio.run(vote._fetch_answer(info.id))
    assert "Saved:" in vote.status.value, vote.status.value


def test_unreachable_service_is_reported_plainly(room, content, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PEERKIT_HOME", str(tmp_path))
    participant = RemoteSession(room["url"], room["code"], content=content)
    participant.url = "http://127.0.0.1:9"  # nothing listens on the discard port
    vote = ScenarioVote(participant, "housing-call")
    vote.options.value = "a"
    vote.submit.click()
    assert "can't be reached" in html.unescape(vote.status.value)


def test_thirty_participants_reach_the_facilitator_chart(
    room, content, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("PEERKIT_HOME", str(tmp_path))
    facilitator = RemoteSession(
        room["url"], room["code"], facilitator_key=room["facilitator_key"], content=content
    )
    info = facilitator.question("useless")
    facilitator.act(info.id, "open")
    join = f"{room['url']}/api/v1/rooms/{room['code']}/join"
    tokens = [call_json(join, "POST")["token"] for _ in range(30)]
    options = list(content.question("useless").option_ids)
    finished: dict[str, float] = {}

    def vote_all() -> None:
        time.sleep(0.3)
        for index, token in enumerate(tokens):
            call_json(
                f"{room['url']}/api/v1/questions/{info.id}/response",
                "PUT",
                {"answer": options[index % len(options)]},
                token,
            )
        finished["at"] = time.monotonic()

    async def watch() -> float:
        chart = LivePollChart(facilitator, "useless")
        try:
            while chart.tally is None or chart.tally.total < 30:
                await asyncio.sleep(0.01)
            return time.monotonic()
        finally:
            chart.close()
            facilitator.close()

    voters = threading.Thread(target=vote_all)
    voters.start()
    reached = asyncio.run(asyncio.wait_for(watch(), 20))
    voters.join()
    assert reached - finished["at"] < 2.0


def test_connect_chooses_the_mode(room, content, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PEERKIT_HOME", str(tmp_path))
    for name in (
        "PEERKIT_SERVICE_URL",
        "PEERKIT_ROOM",
        "PEERKIT_FACILITATOR_KEY",
        "PEERKIT_PUBLIC_URL",
        "PEERKIT_REHEARSE",
    ):
        monkeypatch.delenv(name, raising=False)
    assert connect(content=content).mode == "solo"
    monkeypatch.setenv("PEERKIT_REHEARSE", "4")
    assert connect(content=content).participant_count() == 4
    monkeypatch.delenv("PEERKIT_REHEARSE")
    monkeypatch.setenv("PEERKIT_SERVICE_URL", room["url"])
    with pytest.raises(ValueError, match="room code"):
        connect(content=content)
    assert connect(room["code"], content=content).role == "participant"
    monkeypatch.setenv("PEERKIT_ROOM", room["code"])
    monkeypatch.setenv("PEERKIT_FACILITATOR_KEY", room["facilitator_key"])
    monkeypatch.setenv("PEERKIT_PUBLIC_URL", "http://192.0.2.7:8765")
    session = connect(content=content)
    assert session.role == "facilitator" and session.mode == "group"
    assert session.join_url == f"http://192.0.2.7:8765/join/{room['code']}"


@pytest.mark.parametrize("module, tag", [("setup", "pre"), ("wrap-up", "post")])
def test_console_runs_the_pre_post_slider(module: str, tag: str) -> None:
    session = rehearse(n=5, seed=9)
    console = FacilitatorConsole(session, module=module)
    scale_id = session.content.pre_post_scale.id
    assert (scale_id, tag) in [value for _, value in console.picker.options]
    console.picker.value = (scale_id, tag)
    console.do("open")
    info = session.question(scale_id, tag)
    assert info.state == "open" and info.tag == tag
    assert session.results(info.id).tally.total == 5


def test_chart_reconnects_by_itself(room, content, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PEERKIT_HOME", str(tmp_path))
    monkeypatch.setattr("peerkit.watcher.MAX_BACKOFF", 0.2)
    facilitator = RemoteSession(
        room["url"], room["code"], facilitator_key=room["facilitator_key"], content=content
    )
    info = facilitator.question("housing-call")
    facilitator.act(info.id, "open")
    token = call_json(f"{room['url']}/api/v1/rooms/{room['code']}/join", "POST")["token"]
    live_url = facilitator.url
    facilitator.url = "http://127.0.0.1:9"  # the service is gone for a while

    async def run() -> tuple[str, LivePollChart]:
        chart = LivePollChart(facilitator, "housing-call")
        try:
            await asyncio.sleep(0.3)
            during = chart.view["status"]
            facilitator.url = live_url  # ... and back
            call_json(
                f"{room['url']}/api/v1/questions/{info.id}/response", "PUT", {"answer": "b"}, token
            )
            while chart.tally is None or chart.tally.total < 1:
                await asyncio.sleep(0.05)
            return during, chart
        finally:
            facilitator.close()

    during, chart = asyncio.run(asyncio.wait_for(run(), 10))
    assert "cannot be reached" in during and "Reconnecting" in during
    assert dict(chart.tally.counts)["b"] == 1
    assert "Reconnecting" not in chart.view["status"]


def test_room_feed_reports_changes_to_the_facilitator_and_participants(room, content) -> None:
    base = f"{room['url']}/api/v1/rooms/{room['code']}"
    key = room["facilitator_key"]
    first = call_json(f"{base}/events", "GET", None, key)
    assert first["questions"] == [] and first["participants"] == 0 and first["pending"] == 0
    token = call_json(f"{base}/join", "POST")["token"]
    added = call_json(f"{base}/questions", "POST", {"content_id": "rescuer-closing"}, key)
    started = time.monotonic()
    after = call_json(f"{base}/events?after={first['version']}&timeout=5", "GET", None, key)
    assert time.monotonic() - started < 1, "a change already made is reported at once"
    assert after["version"] > first["version"] and after["participants"] == 1
    assert [q["source"] for q in after["questions"]] == ["rescuer-closing"]
    assert call_json(f"{base}/events", "GET", None, token)["questions"] == [], "drafts are private"
    call_json(f"{room['url']}/api/v1/questions/{added['id']}/open", "POST", {}, key)
    seen = call_json(f"{base}/events", "GET", None, token)
    assert seen["questions"][0]["state"] == "open" and "participants" not in seen
    waited = {}

    def answer_later() -> None:
        time.sleep(0.3)
        waited["at"] = time.monotonic()
        call_json(
            f"{room['url']}/api/v1/questions/{added['id']}/response",
            "PUT",
            {"answer": "Ask what they want first."},
            token,
        )

    thread = threading.Thread(target=answer_later)
    thread.start()
    woke = call_json(f"{base}/events?after={seen['version']}&timeout=10", "GET", None, key)
    thread.join()
    assert time.monotonic() - waited["at"] < 2
    assert woke["pending"] == 1 and woke["version"] > seen["version"]
    quiet = call_json(f"{base}/events?after={woke['version']}&timeout=0.2", "GET", None, key)
    assert quiet["version"] == woke["version"]


# --------------------------------------------------------------------------- a silent service


@contextmanager
def silent_service():
    """A server that accepts connections and never answers (a hung service or proxy)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()


def test_the_kernel_loop_stays_free_while_the_service_hangs(
    room, content, tmp_path, monkeypatch
) -> None:
    """A principle notebook's widgets (console and six charts) against a service that stops
    answering: a probe task on the loop measures the longest stall."""
    monkeypatch.setenv("PEERKIT_HOME", str(tmp_path))
    facilitator = RemoteSession(
        room["url"], room["code"], facilitator_key=room["facilitator_key"], content=content
    )
    participant = RemoteSession(room["url"], room["code"], content=content)

    async def run(url: str) -> float:
        for session in (facilitator, participant):
            session.url = url  # the service stops answering
        workshop = Workshop("rescuer", facilitator)
        widgets = [workshop.console()]
        widgets += [workshop.scenario(i) for i in range(3)]
        widgets += [workshop.slider(), workshop.slider("autonomy-control", "pre")]
        widgets += [Workshop("rescuer", participant).scenario(i) for i in range(3)]
        charts = [c for box in widgets[1:] for c in box.children if isinstance(c, LivePollChart)]
        assert len(charts) >= 6
        longest, last = 0.0, time.perf_counter()
        end = last + 2.0
        while time.perf_counter() < end:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            longest, last = max(longest, now - last), now
        assert all(c.view["state"] == "waiting" for c in charts)
        for session in (facilitator, participant):
            session.close()
        return longest

    with silent_service() as url:
        longest = asyncio.run(run(url))
    assert longest < 0.1, f"the loop stalled for {longest * 1000:.0f} ms"


# --------------------------------------------------------------------------- policy


@pytest.mark.parametrize(
    "module, expected",
    [("setup", ("autonomy-control", "pre")), ("wrap-up", ("autonomy-control", "post"))],
)
def test_a_module_runs_its_scenarios_then_its_pre_or_post_slider(
    content, module: str, expected: tuple[str, str]
) -> None:
    items = module_questions(content, module)
    keys = [item.key for item in items]
    scenarios = [(s.id, "") for s in content.scenarios_for(module)]
    assert keys[: len(scenarios)] == scenarios
    assert expected in keys and keys.index(expected) == len(scenarios)
    assert all(item.label for item in items)


def test_a_middle_module_has_no_pre_post_slider(content) -> None:
    keys = [item.key for item in module_questions(content, "rescuer")]
    assert ("autonomy-control", "pre") not in keys and ("autonomy-control", "post") not in keys
    assert ("rescuer-closing", "") in keys


def test_a_rehearsal_vote_waits_until_its_question_opens(content) -> None:
    session = rehearse(n=3, seed=12)
    vote = ScenarioVote(session, "housing-call")
    assert vote.status.kind == "wait" and "Waiting for the facilitator" in vote.status.text
    session.act(session.question("housing-call").id, "open")
    session.watcher.sync()
    assert "question is open" in vote.status.text


def test_a_saved_answer_is_still_said_after_reconnecting(content) -> None:
    session = rehearse(n=3, seed=13)
    info = session.question("housing-call")
    session.act(info.id, "open")
    vote = ScenarioVote(session, "housing-call")
    vote.options.value = "c"
    vote.submit.click()
    vote.show(Update(None, error="The poll service cannot be reached."))
    assert vote.status.kind == "error"
    vote.options.value = "d"  # chosen, not yet submitted: reconnecting must not undo it
    session.watcher.sync()
    assert vote.status.kind == "ok" and "Your answer is saved" in vote.status.text
    assert vote.options.value == "d"
