"""One session API for the widgets, with two implementations.

* :class:`RemoteSession` talks to the poll service (group mode: a live room).
* :class:`LocalSession` keeps everything in an in-process store (solo mode on Binder or
  self-paced, and rehearsals with a simulated group).

Widgets call the session's plain methods from button callbacks (with a short timeout), and
subscribe to the session's one :class:`~peerkit.watcher.Watcher`, which awaits the room's change
feed on the kernel's own asyncio loop; nothing waits on the network on that loop, and no thread
ever touches a widget. :func:`peerkit.sessions.connect` picks the implementation from the
environment.
"""

from __future__ import annotations

import abc
import asyncio
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import i18n
from . import room as rules
from .config import data_home, read_private, write_private
from .content import Content, load_content
from .errors import ClientError, ServiceUnavailable
from .model import (
    MIN_GROUP_SIZE,
    ModelError,
    Question,
    Tally,
    question_from_dict,
    tally_from_dict,
)
from .store import Participant, QuestionRecord, SQLiteStore, Store, StoreError
from .watcher import RoomState, Watcher

__all__ = [
    "ClientError",
    "LocalSession",
    "QuestionInfo",
    "RemoteSession",
    "Results",
    "ServiceUnavailable",
    "Session",
    "data_home",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QuestionInfo:
    id: int
    question: Question
    state: str
    revealed: bool
    version: int
    source: str | None = None
    tag: str = ""

    @property
    def is_open(self) -> bool:
        return self.state == "open"


@dataclass(frozen=True)
class Results:
    """A question's results as one viewer may see them: ``tally`` is the typed model tally
    (:data:`peerkit.model.Tally`), None while it is withheld from this viewer."""

    question_id: int
    version: int
    state: str
    revealed: bool
    min_group: int
    visible_to_participants: bool
    tally: Tally | None
    reflections: list = field(default_factory=list)


class Session(abc.ABC):
    """What a notebook's widgets need, whichever way the answers travel."""

    mode: str  # "group" or "solo"
    role: str  # "facilitator" or "participant"
    room: str | None = None
    join_url: str | None = None
    #: The room's screen for the projector (the facilitator's sessions on a service only).
    presenter_url: str | None = None
    content: Content
    #: The language peerkit is shown in: the room's, which the kernel takes on when the session
    #: connects (:func:`peerkit.i18n.use`).
    language: str = i18n.DEFAULT_LANGUAGE

    @property
    def is_facilitator(self) -> bool:
        return self.role == "facilitator"

    def _use_language(self, language: str | None) -> None:
        """Show this kernel's peerkit in ``language`` from now on."""
        self.language = i18n.use(language)

    # -- questions -----------------------------------------------------------------------
    @abc.abstractmethod
    def question(self, content_id: str, tag: str = "") -> QuestionInfo | None:
        """The room's question for a scenario, scale or prompt id (plus an optional tag such as
        ``"pre"``). A facilitator's session adds it to the room if needed; a participant's
        returns it only while the facilitator has it on screen, and None otherwise."""

    @abc.abstractmethod
    def questions(self) -> list[QuestionInfo]: ...

    @abc.abstractmethod
    def act(self, question_id: int, action: str) -> QuestionInfo:
        """Facilitator: open, close, reveal, hide or reset a question."""

    @abc.abstractmethod
    def participant_count(self) -> int: ...

    @abc.abstractmethod
    def moderate(self, response_id: int, approve: bool) -> None: ...

    # -- answers and results ---------------------------------------------------------------
    @abc.abstractmethod
    def respond(self, question_id: int, answer: object) -> object:
        """Submit (or change) this participant's answer; returns the stored answer."""

    @abc.abstractmethod
    def my_answer(self, question_id: int) -> object: ...

    @abc.abstractmethod
    def results(self, question_id: int) -> Results: ...

    # -- following the room ----------------------------------------------------------------
    @property
    def watcher(self) -> Watcher:
        """The session's one watcher of the room, which every widget subscribes to."""
        watcher = self.__dict__.get("_watcher")
        if watcher is None:
            watcher = self.__dict__["_watcher"] = Watcher(self)
        return watcher

    @abc.abstractmethod
    def room_state(self) -> RoomState:
        """The room now: its questions' states and versions (and, for the facilitator, how many
        joined and how many reflections wait for moderation)."""

    @abc.abstractmethod
    async def room_changes(self, after: int, timeout: float = 25) -> RoomState:
        """The room once its version differs from ``after``, or as it is after ``timeout``."""

    @abc.abstractmethod
    async def aresults(self, question_id: int) -> Results:
        """:meth:`results` without blocking the loop."""

    @abc.abstractmethod
    async def amy_answer(self, question_id: int) -> object:
        """:meth:`my_answer` without blocking the loop."""

    @abc.abstractmethod
    async def apre_post(self, content_id: str) -> dict:
        """:meth:`pre_post` without blocking the loop."""

    @abc.abstractmethod
    def export_csv(self, *, per_response: bool = False) -> str:
        """Facilitator: the room's results as CSV text (group totals, or one row per response
        with anonymous participant numbers)."""

    @abc.abstractmethod
    def pre_post(self, content_id: str) -> dict:
        """How a scale moved between its "pre" and "post" questions
        (``PrePostComparison.as_dict()``)."""

    def close(self) -> None:
        """Stop following the room and release resources."""
        watcher = self.__dict__.get("_watcher")
        if watcher is not None:
            watcher.stop()


def _results(data: dict, tally: Tally | None) -> Results:
    """Results from the room's view of them (``ResultsView.as_dict()``) with ``tally``."""
    return Results(
        data["question"],
        data["version"],
        data["state"],
        data["revealed"],
        data["min_group"],
        data["visible_to_participants"],
        tally,
        data.get("reflections", []),
    )


def _remote_results(data: dict) -> Results:
    """Results as the service sends them, its tally parsed once here into the typed tally."""
    sent = data.get("tally")
    try:
        tally = None if sent is None else tally_from_dict(sent)
    except ModelError as exc:
        raise ClientError(
            "bad_response", f"the poll service sent a malformed tally: {exc.message}"
        ) from None
    return _results(data, tally)


def _info(record: QuestionRecord) -> QuestionInfo:
    return QuestionInfo(
        record.id,
        record.question,
        record.state,
        record.revealed,
        record.version,
        record.source,
        record.tag,
    )


# --------------------------------------------------------------------------- local


class LocalSession(Session):
    """Everything in an in-process store: solo mode, and rehearsals with a simulated group.

    ``role="participant"`` is solo mode: questions open themselves and the participant's own
    answer is kept. ``role="facilitator"`` drives a local room, as in a rehearsal.
    """

    mode = "solo"

    def __init__(
        self,
        store: Store | None = None,
        *,
        content: Content | None = None,
        role: str = "participant",
        min_group: int = MIN_GROUP_SIZE,
        resume: Participant | None = None,
        language: str | None = None,
    ) -> None:
        """A new room in ``store``, or the room of ``resume``, answering as that participant;
        shown in ``language`` (by default the content's)."""
        self.store = store or SQLiteStore(":memory:")
        self.content = content or load_content()
        self.role = role
        self._use_language(language or self.content.language)
        if resume is None:
            created = self.store.create_room(
                "Solo" if role == "participant" else "Rehearsal",
                min_group=min_group,
                language=self.language,
            )
            resume = self.store.join(created.room.code)
        self.room = resume.room_code
        self._me = resume
        self._changed = asyncio.Event()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _call(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except StoreError as exc:
            raise ClientError(exc.code, exc.message) from None

    def question(self, content_id: str, tag: str = "") -> QuestionInfo:
        for record in self.store.questions(self.room):
            if record.source == content_id and record.tag == tag:
                return _info(record)
        try:
            question = self.content.question(content_id)
        except KeyError as exc:
            raise ClientError("not_found", str(exc.args[0])) from None
        record = self.store.add_question(self.room, question, source=content_id, tag=tag)
        if self.role == "participant":
            record = self.store.set_state(record.id, "open")
        self._notify()
        return _info(record)

    def questions(self) -> list[QuestionInfo]:
        return [_info(r) for r in self.store.questions(self.room)]

    def act(self, question_id: int, action: str) -> QuestionInfo:
        self._call(rules.require_facilitator, self.role)
        record = self._call(rules.act, self.store, question_id, action)
        self._notify()
        return _info(record)

    def participant_count(self) -> int:
        # The local participant (the person at this notebook) is not one of the group.
        return self.store.participant_count(self.room) - 1

    def moderate(self, response_id: int, approve: bool) -> None:
        self._call(rules.require_facilitator, self.role)
        self._call(rules.moderate, self.store, self.content.safety, response_id, approve)
        self._notify()

    def pre_post(self, content_id: str) -> dict:
        return self._call(rules.pre_post_view, self.store, self.room, content_id, self.role)[
            2
        ].as_dict()

    def export_csv(self, *, per_response: bool = False) -> str:
        from .store.base import rows_to_csv

        self._call(rules.require_facilitator, self.role)
        return rows_to_csv(self.store.export_rows(self.room, per_response=per_response))

    def respond(self, question_id: int, answer: object) -> object:
        stored = self._call(self.store.respond, question_id, self._me.token, answer)
        self._notify()
        return stored.answer

    def my_answer(self, question_id: int) -> object:
        return self.store.answers_by_participant(question_id).get(self._me.id)

    def results(self, question_id: int) -> Results:
        record = self._call(self.store.question, question_id)
        view = self._call(rules.results_view, self.store, record, self.role, self.content.safety)
        return _results(view.as_dict(), view.tally)

    def room_state(self) -> RoomState:
        from .feed import room_feed

        data = room_feed(self.store, self.room, facilitator=True)
        data["participants"] = self.participant_count()
        return RoomState.from_dict(data)

    async def room_changes(self, after: int, timeout: float = 25) -> RoomState:
        changed = self._changed  # taken before reading: a change in between is not missed
        state = self.room_state()
        if state.version != after:
            return state
        try:
            await asyncio.wait_for(changed.wait(), timeout)
        except TimeoutError:
            pass
        return self.room_state()

    async def aresults(self, question_id: int) -> Results:
        return self.results(question_id)

    async def amy_answer(self, question_id: int) -> object:
        return self.my_answer(question_id)

    async def apre_post(self, content_id: str) -> dict:
        return self.pre_post(content_id)

    def close(self) -> None:
        super().close()
        self.store.close()


# --------------------------------------------------------------------------- remote


def _rebase(url: str | None, service_url: str, public: str) -> str | None:
    """``url``, given by the service at ``service_url``, as seen from the ``public`` address."""
    if url and url.startswith(service_url + "/"):
        return public + url[len(service_url) :]
    return url


class RemoteSession(Session):
    """A live room on the poll service, as its facilitator or as one participant."""

    mode = "group"

    def __init__(
        self,
        service_url: str,
        room: str,
        *,
        facilitator_key: str | None = None,
        token: str | None = None,
        public_url: str | None = None,
        content: Content | None = None,
        timeout: float = 5,
    ) -> None:
        self.url = service_url.rstrip("/")
        self._client: tuple[asyncio.AbstractEventLoop, Any] | None = None
        self.room = "".join(room.split()).upper()
        self.content = content or load_content()
        self.timeout = timeout
        self._key = facilitator_key
        self.role = "facilitator" if facilitator_key else "participant"
        base = (public_url or self.url).rstrip("/")
        self.join_url = f"{base}/join/{self.room}"
        if self.role == "participant":
            self._secret = token or _saved_token(self.url, self.room) or self._join()
            details = _http(self.url, "GET", f"/rooms/{self.room}", timeout=timeout)
        else:
            self._secret = facilitator_key
            details = self._request("GET", f"/rooms/{self.room}")  # fails on a wrong room or key
            self.presenter_url = _rebase(details.get("presenter_url"), self.url, base)
        try:
            self._use_language(details.get("language"))
        except i18n.UnknownLanguageError:  # the service knows a language this peerkit does not
            log.warning(
                "room %s is in %r, which this peerkit cannot show", self.room, details["language"]
            )
            self._use_language(None)

    # -- HTTP --------------------------------------------------------------------------
    def _request(self, method: str, path: str, body: dict | None = None, raw: bool = False) -> Any:
        secret = getattr(self, "_secret", None)
        return _http(
            self.url,
            method,
            path,
            body,
            authorization=f"Bearer {secret}" if secret else None,
            raw=raw,
            timeout=self.timeout,
        )

    def _join(self) -> str:
        token = self._request("POST", f"/rooms/{self.room}/join")["token"]
        _save_token(self.url, self.room, token)
        return token

    # -- questions ---------------------------------------------------------------------
    def _info(self, data: dict) -> QuestionInfo:
        return QuestionInfo(
            data["id"],
            question_from_dict(data["question"]),
            data["state"],
            data["revealed"],
            data["version"],
            data.get("source"),
            data.get("tag", ""),
        )

    def question(self, content_id: str, tag: str = "") -> QuestionInfo | None:
        if self.role == "participant":
            current = self._request("GET", f"/rooms/{self.room}/current")
            q = current.get("question")
            if q and q.get("source") == content_id and q.get("tag", "") == tag:
                return QuestionInfo(
                    q["id"],
                    self.content.question(content_id),
                    q["state"],
                    q["revealed"],
                    0,
                    content_id,
                    tag,
                )
            return None
        for info in self.questions():
            if info.source == content_id and info.tag == tag:
                return info
        body = {"content_id": content_id, "tag": tag}
        return self._info(self._request("POST", f"/rooms/{self.room}/questions", body))

    def questions(self) -> list[QuestionInfo]:
        data = self._request("GET", f"/rooms/{self.room}/questions")
        return [self._info(q) for q in data["questions"]]

    def act(self, question_id: int, action: str) -> QuestionInfo:
        if action not in rules.ACTIONS:
            raise ClientError("bad_request", f"unknown action {action!r}")
        return self._info(self._request("POST", f"/questions/{question_id}/{action}"))

    def participant_count(self) -> int:
        return self._request("GET", f"/rooms/{self.room}")["participants"]

    def moderate(self, response_id: int, approve: bool) -> None:
        self._request("POST", f"/responses/{response_id}/{'approve' if approve else 'reject'}")

    # -- answers and results -----------------------------------------------------------
    def respond(self, question_id: int, answer: object) -> object:
        return self._request("PUT", f"/questions/{question_id}/response", {"answer": answer})[
            "answer"
        ]

    def my_answer(self, question_id: int) -> object:
        return self._request("GET", f"/questions/{question_id}/response")["answer"]

    def results(self, question_id: int) -> Results:
        return _remote_results(self._request("GET", f"/questions/{question_id}/results"))

    def pre_post(self, content_id: str) -> dict:
        return self._request("GET", f"/rooms/{self.room}/pre-post/{content_id}")["comparison"]

    def export_csv(self, *, per_response: bool = False) -> str:
        rows = "responses" if per_response else "totals"
        return self._request("GET", f"/rooms/{self.room}/export.csv?rows={rows}", raw=True)

    # -- following the room without blocking -------------------------------------------------
    def room_state(self) -> RoomState:
        return RoomState.from_dict(self._request("GET", f"/rooms/{self.room}/events"))

    async def room_changes(self, after: int, timeout: float = 25) -> RoomState:
        query = urllib.parse.urlencode({"after": after, "timeout": timeout})
        data = await self._fetch(f"/rooms/{self.room}/events?{query}", timeout + 10)
        return RoomState.from_dict(data)

    async def aresults(self, question_id: int) -> Results:
        return _remote_results(await self._fetch(f"/questions/{question_id}/results", self.timeout))

    async def amy_answer(self, question_id: int) -> object:
        return (await self._fetch(f"/questions/{question_id}/response", self.timeout))["answer"]

    async def apre_post(self, content_id: str) -> dict:
        data = await self._fetch(f"/rooms/{self.room}/pre-post/{content_id}", self.timeout)
        return data["comparison"]

    async def _fetch(self, path: str, timeout: float) -> Any:
        """GET ``path`` of the API on the running loop, through this session's own client (so
        the session's waits never queue behind other users of tornado's shared client)."""
        from tornado.httpclient import AsyncHTTPClient, HTTPClientError

        loop = asyncio.get_running_loop()
        if self._client is None or self._client[0] is not loop:
            self._client = (loop, AsyncHTTPClient(force_instance=True))
        try:
            response = await self._client[1].fetch(
                f"{self.url}/api/v1{path}",
                headers={"Authorization": f"Bearer {self._secret}"},
                connect_timeout=min(timeout, self.timeout),
                request_timeout=timeout,
            )
        except HTTPClientError as exc:
            if exc.response is None:  # 599: timed out or the connection dropped
                raise ServiceUnavailable(f"the poll service at {self.url} did not answer") from None
            raise _client_error(exc.code, exc.response.body) from None
        except OSError as exc:
            raise ServiceUnavailable(
                f"the poll service at {self.url} cannot be reached ({_reason(exc)})"
            ) from None
        return json.loads(response.body)

    def close(self) -> None:
        super().close()
        if self._client is not None:
            self._client[1].close()
            self._client = None


def _http(
    url: str,
    method: str,
    path: str,
    body: dict | None = None,
    *,
    authorization: str | None = None,
    raw: bool = False,
    timeout: float = 10,
) -> Any:
    """One call to the service's API at ``url``; a refusal becomes a :class:`ClientError`."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - the service URL is configured, http(s)
        f"{url}/api/v1{path}", data=data, method=method
    )
    request.add_header("Content-Type", "application/json")
    if authorization:
        request.add_header("Authorization", authorization)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            payload = response.read()
            return payload.decode("utf-8") if raw else json.loads(payload or b"null")
    except urllib.error.HTTPError as exc:
        raise _client_error(exc.code, exc.read()) from None
    except (urllib.error.URLError, OSError) as exc:
        raise ServiceUnavailable(
            f"the poll service at {url} cannot be reached ({_reason(exc)}); it will be tried again"
        ) from None


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or exc
    return str(getattr(reason, "strerror", None) or reason)


def _client_error(status: int, body: bytes) -> ClientError:
    try:
        error = json.loads(body)["error"]
        return ClientError(error["code"], error["message"])
    except (ValueError, KeyError, TypeError):
        return ClientError("http_error", f"the poll service answered with status {status}")


# --------------------------------------------------------------------------- tokens


def _token_file() -> Path:
    return data_home() / "tokens.json"


def _saved_token(url: str, room: str) -> str | None:
    return read_private(_token_file()).get(f"{url} {room}")


def _save_token(url: str, room: str, token: str) -> None:
    """Keep this kernel's participant token so a restart stays the same anonymous participant
    (pre/post answers pair up). The file holds tokens only, never names."""
    path = _token_file()
    saved = read_private(path)
    saved[f"{url} {room}"] = token
    write_private(path, saved)
