"""One session API for the widgets, with two implementations.

* :class:`RemoteSession` talks to the poll service (group mode: a live room).
* :class:`LocalSession` keeps everything in an in-process store (solo mode on Binder or
  self-paced, and rehearsals with a simulated group).

Widgets call the session's plain methods from button callbacks (with a short timeout), and
subscribe to the session's one :class:`~peerkit.watcher.Watcher`, which awaits the room's change
feed on the kernel's own asyncio loop; nothing waits on the network on that loop, and no thread
ever touches a widget. :func:`connect` picks the implementation from the environment.
"""

from __future__ import annotations

import abc
import asyncio
import json
import logging
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .content import Content, load_content
from .model import MIN_GROUP_SIZE, PASS, Question, question_from_dict, results_visible
from .store import QuestionRecord, SQLiteStore, Store, StoreError
from .watcher import RoomState, Watcher

log = logging.getLogger(__name__)

__all__ = [
    "ClientError",
    "LocalSession",
    "QuestionInfo",
    "RemoteSession",
    "Results",
    "ServiceUnavailable",
    "Session",
    "connect",
]

ACTIONS = ("open", "close", "reveal", "hide", "reset")


class ClientError(Exception):
    """The service or store refused a request; ``message`` says why in plain words."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class ServiceUnavailable(ClientError):
    """The poll service could not be reached. Answers are not lost: try again shortly."""

    def __init__(self, message: str) -> None:
        super().__init__("unavailable", message)


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
    """A question's results as one viewer may see them. ``tally`` is ``Tally.as_dict()``."""

    question_id: int
    version: int
    state: str
    revealed: bool
    min_group: int
    visible_to_participants: bool
    tally: dict | None
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

    @property
    def is_facilitator(self) -> bool:
        return self.role == "facilitator"

    # -- questions -----------------------------------------------------------------------
    @abc.abstractmethod
    def question(self, content_id: str, tag: str = "") -> QuestionInfo | None:
        """The room's question for a scenario, scale or prompt id (plus an optional tag such as
        ``"pre"``). A facilitator's session adds it to the room if needed; a participant's
        returns it only while the facilitator has it on screen, and None otherwise."""

    @abc.abstractmethod
    def refresh(self, question_id: int) -> QuestionInfo: ...

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
    ) -> None:
        self.store = store or SQLiteStore(":memory:")
        self.content = content or load_content()
        self.role = role
        created = self.store.create_room(
            "Solo" if role == "participant" else "Rehearsal", min_group=min_group
        )
        self.room = created.room.code
        self._key = created.facilitator_key
        self._me = self.store.join(self.room)
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

    def refresh(self, question_id: int) -> QuestionInfo:
        return _info(self._call(self.store.question, question_id))

    def questions(self) -> list[QuestionInfo]:
        return [_info(r) for r in self.store.questions(self.room)]

    def act(self, question_id: int, action: str) -> QuestionInfo:
        if action not in ACTIONS:
            raise ClientError("bad_request", f"unknown action {action!r}")
        calls = {
            "open": lambda: self.store.set_state(question_id, "open"),
            "close": lambda: self.store.set_state(question_id, "closed"),
            "reveal": lambda: self.store.set_revealed(question_id, True),
            "hide": lambda: self.store.set_revealed(question_id, False),
            "reset": lambda: self.store.reset(question_id),
        }
        record = self._call(calls[action])
        self._notify()
        return _info(record)

    def participant_count(self) -> int:
        # The local participant (the person at this notebook) is not one of the group.
        return self.store.participant_count(self.room) - 1

    def moderate(self, response_id: int, approve: bool) -> None:
        if approve and self.content.safety.flags(str(self.store.response(response_id).answer)):
            raise ClientError(
                "flagged", "a flagged reflection is for the facilitator only and is never shown"
            )
        self._call(self.store.moderate, response_id, approve)
        self._notify()

    def pre_post(self, content_id: str) -> dict:
        return self._call(self.store.pre_post, self.room, content_id)[2].as_dict()

    def export_csv(self, *, per_response: bool = False) -> str:
        from .store.base import rows_to_csv

        return rows_to_csv(self.store.export_rows(self.room, per_response=per_response))

    def respond(self, question_id: int, answer: object) -> object:
        stored = self._call(self.store.respond, question_id, self._me.token, answer)
        self._notify()
        return stored.answer

    def my_answer(self, question_id: int) -> object:
        return self.store.answers_by_participant(question_id).get(self._me.id)

    def simulate(self, question_id: int, answers: list[object]) -> None:
        """Rehearsal: record answers from new simulated participants (one each)."""
        items = [(question_id, self.store.join(self.room).token, a) for a in answers]
        for result in self.store.respond_many(items):
            if isinstance(result, StoreError):
                raise ClientError(result.code, result.message)
        self._notify()

    def results(self, question_id: int) -> Results:
        record = self._call(self.store.question, question_id)
        room = self.store.room(self.room)
        result = self.store.tally(question_id)
        reflections: list = []
        if record.question.kind == "text":
            reflections = [
                {
                    "id": r.id,
                    "text": r.answer,
                    "moderation": r.moderation,
                    "flags": self.content.safety.flags(str(r.answer)),
                }
                for r in self.store.responses(question_id)
                if r.answer != PASS
            ]
        return Results(
            question_id,
            record.version,
            record.state,
            record.revealed,
            room.min_group,
            results_visible(result, revealed=record.revealed, min_group=room.min_group),
            result.as_dict(),
            reflections,
        )

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
        else:
            self._secret = facilitator_key
            details = self._request("GET", f"/rooms/{self.room}")  # fails on a wrong room or key
            self.presenter_url = _rebase(details.get("presenter_url"), self.url, base)

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

    def refresh(self, question_id: int) -> QuestionInfo:
        if self.role == "participant":
            q = self._request("GET", f"/questions/{question_id}")
            source = q.get("source")
            question = self.content.question(source) if source else question_from_dict(q)
            return QuestionInfo(
                q["id"], question, q["state"], q["revealed"], 0, source, q.get("tag", "")
            )
        return self._info(self._request("GET", f"/questions/{question_id}"))

    def questions(self) -> list[QuestionInfo]:
        data = self._request("GET", f"/rooms/{self.room}/questions")
        return [self._info(q) for q in data["questions"]]

    def act(self, question_id: int, action: str) -> QuestionInfo:
        if action not in ACTIONS:
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

    @staticmethod
    def _results(data: dict) -> Results:
        return Results(
            data["question"],
            data["version"],
            data["state"],
            data["revealed"],
            data["min_group"],
            data["visible_to_participants"],
            data.get("tally"),
            data.get("reflections", []),
        )

    def results(self, question_id: int) -> Results:
        return self._results(self._request("GET", f"/questions/{question_id}/results"))

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
        return self._results(await self._fetch(f"/questions/{question_id}/results", self.timeout))

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


def data_home() -> Path:
    """Where the facilitator's database and room live between sessions."""
    if os.environ.get("PEERKIT_HOME"):
        return Path(os.environ["PEERKIT_HOME"])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "peerkit"


def _token_file() -> Path:
    return data_home() / "tokens.json"


def _read_private(path: Path) -> dict:
    """What :func:`_write_private` kept at ``path``; empty if nothing (readable) is there."""
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return saved if isinstance(saved, dict) else {}


def _saved_token(url: str, room: str) -> str | None:
    return _read_private(_token_file()).get(f"{url} {room}")


def _hub_room_file() -> Path:
    return data_home() / "hub-room.json"


def _hub_facilitator_room(url: str, *, new_room: bool, title: str) -> dict | None:
    """On JupyterHub: this facilitator's room on the service at ``url``, resumed from
    ``hub-room.json`` (readable by its owner only) or created with the hub token of this
    notebook's server. None when the hub does not let this user create rooms."""
    path = _hub_room_file()
    rooms = _read_private(path)
    saved = rooms.get(url)
    if saved and not new_room:
        try:
            _http(url, "GET", f"/rooms/{saved['code']}", authorization=f"Bearer {saved['key']}")
            return saved
        except ServiceUnavailable:
            raise
        except ClientError:  # the room is gone (purged, a new database): start a new one
            pass
    try:
        created = _http(
            url,
            "POST",
            "/rooms",
            {"title": title},
            authorization=f"token {os.environ['JUPYTERHUB_API_TOKEN']}",
        )
    except ServiceUnavailable:
        raise
    except ClientError as exc:
        if exc.code in ("unauthenticated", "forbidden"):  # a participant: they type the code
            log.info("not a facilitator on this hub: %s", exc.message)
            return None
        raise
    room = {
        "code": created["code"],
        "key": created["facilitator_key"],
        "join_url": created["join_url"],
    }
    rooms[url] = room
    _write_private(path, rooms)
    return room


def _write_private(path: Path, data: dict) -> None:
    """Write JSON readable by this account only (the file holds keys or tokens)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(json.dumps(data))


def _save_token(url: str, room: str, token: str) -> None:
    """Keep this kernel's participant token so a restart stays the same anonymous participant
    (pre/post answers pair up). The file holds tokens only, never names."""
    path = _token_file()
    saved = _read_private(path)
    saved[f"{url} {room}"] = token
    _write_private(path, saved)


# --------------------------------------------------------------------------- connect


def connect(
    room: str | None = None,
    *,
    service_url: str | None = None,
    facilitator_key: str | None = None,
    content: Content | None = None,
    new_room: bool = False,
) -> Session:
    """The session for this notebook.

    Group mode when a poll service is named (``service_url``, or ``$PEERKIT_SERVICE_URL`` as
    ``peerkit lab`` and JupyterHub deployments set it): the facilitator's view with a key
    (``$PEERKIT_FACILITATOR_KEY``), otherwise a participant in ``room`` (``$PEERKIT_ROOM``).
    On JupyterHub, a facilitator (a hub user with the facilitator permission) who gives no room
    gets their own room: the one kept from last time, or a new one (always with ``new_room``).
    With no service, ``$PEERKIT_REHEARSE=N`` gives a rehearsal room of N simulated participants
    (``$PEERKIT_SEED`` fixes their answers); otherwise solo mode, with no service at all.
    """
    url = service_url or os.environ.get("PEERKIT_SERVICE_URL")
    if not url and os.environ.get("PEERKIT_REHEARSE"):
        from .rehearsal import RehearsalSession

        seed = os.environ.get("PEERKIT_SEED")
        return RehearsalSession(
            int(os.environ["PEERKIT_REHEARSE"]),
            seed=int(seed) if seed else None,
            content=content,
        )
    if not url:
        return LocalSession(content=content)
    url = url.rstrip("/")
    room = room or os.environ.get("PEERKIT_ROOM")
    key = facilitator_key or os.environ.get("PEERKIT_FACILITATOR_KEY") or None
    public_url = os.environ.get("PEERKIT_PUBLIC_URL")
    if not room and not key and os.environ.get("JUPYTERHUB_API_TOKEN"):
        mine = _hub_facilitator_room(url, new_room=new_room, title="Peer support workshop")
        if mine is not None:
            room, key = mine["code"], mine["key"]
            public_url = public_url or mine["join_url"].rsplit("/join/", 1)[0]
    if not room:
        raise ValueError(
            "type the room code the facilitator shows, for example peerkit.connect('ABC123')"
        )
    return RemoteSession(url, room, facilitator_key=key, public_url=public_url, content=content)
