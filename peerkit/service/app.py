"""The poll service: a JSON API under ``/api/v1/`` and the participant web page.

Handlers stay thin: read the request, call the store through the :class:`Hub`, turn a store
error into an HTTP error, write JSON. Every error reaches the client as
``{"error": {"code": "...", "message": "..."}}`` and never as a stack trace.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tornado.web

from .. import __version__
from ..content import Content
from ..model import (
    PASS,
    ModelError,
    ScaleQuestion,
    Tally,
    question_from_dict,
    question_to_dict,
    results_visible,
)
from ..store import (
    Conflict,
    InvalidAnswer,
    NotFound,
    QuestionClosed,
    QuestionRecord,
    Room,
    RoomNotFound,
    StorageUnavailable,
    Store,
    StoreError,
    Unauthorized,
)
from ..store.base import rows_to_csv, secret_hash, secret_matches
from .hub import Hub
from .limits import Buckets, Limits, retry_after

if TYPE_CHECKING:
    from .hubauth import HubFacilitators

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
MAX_BODY = 16 * 1024
DEFAULT_WAIT = 25.0
MAX_WAIT = 55.0
#: An ad hoc scale's points; every tally builds a histogram over all of them.
MAX_SCALE_POINTS = 1001
#: The most participants one room takes (`peerkit serve --max-participants`).
MAX_PARTICIPANTS = 500

_STATUS = {
    NotFound: 404,
    Unauthorized: 403,
    QuestionClosed: 409,
    Conflict: 409,
    InvalidAnswer: 422,
    StorageUnavailable: 503,
}
#: Seconds a client is asked to wait before retrying a write the database could not take.
STORAGE_RETRY_AFTER = 2


class ApiError(tornado.web.HTTPError):
    """An error for the client: HTTP status, a stable code and a message a person can act on."""

    def __init__(
        self, status: int, code: str, message: str, *, retry_after: int | None = None
    ) -> None:
        super().__init__(status)
        self.code, self.message = code, message
        self.retry_after = retry_after


@dataclass
class Settings:
    store: Store
    content: Content | None = None
    #: When set, creating a room needs this key; when not, only loopback clients may create one.
    create_key: str | None = None
    public_url: str = ""
    max_participants: int = MAX_PARTICIPANTS
    #: None: no rate limits (embedding, tests); `peerkit serve` turns them on.
    limits: Limits | None = None
    #: The path everything is served under, with slashes at both ends ("/services/peerkit/").
    prefix: str = "/"
    #: Set when the service runs under JupyterHub: hub sign-in decides who may create rooms.
    hub_auth: HubFacilitators | None = None
    hub: Hub = field(init=False)
    snapshots: dict = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.hub = Hub(self.store)


# --------------------------------------------------------------------------- views


def participant_view(record: QuestionRecord) -> dict:
    """What a participant may see of a question: no debriefs, no stances, no spectrum positions
    (they would tell people which answer the facilitator hopes for)."""
    view = question_to_dict(record.question)
    view.pop("debrief", None)
    if "options" in view:
        view["options"] = [{"id": o["id"], "text": o["text"]} for o in view["options"]]
    view.setdefault("title", "")
    view.update(
        id=record.id,
        source=record.source,
        tag=record.tag,
        state=record.state,
        revealed=record.revealed,
    )
    view["pass"] = PASS
    return view


def facilitator_view(record: QuestionRecord) -> dict:
    return {
        "id": record.id,
        "position": record.position,
        "state": record.state,
        "revealed": record.revealed,
        "version": record.version,
        "source": record.source,
        "tag": record.tag,
        "question": question_to_dict(record.question),
    }


# --------------------------------------------------------------------------- base handler


class BaseHandler(tornado.web.RequestHandler):
    settings_obj: Settings

    def initialize(self, settings: Settings) -> None:
        self.app = settings
        self.hub = settings.hub

    def set_default_headers(self) -> None:
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("X-Frame-Options", "DENY")
        self.set_header("Cache-Control", "no-store")

    # -- errors ------------------------------------------------------------------------------
    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, ApiError):
            code, message = exc.code, exc.message
            if exc.retry_after is not None:
                self.set_header("Retry-After", str(exc.retry_after))
        elif isinstance(exc, tornado.web.HTTPError) and exc.log_message:
            code, message = (
                "bad_request",
                exc.log_message % exc.args if exc.args else exc.log_message,
            )
        elif status_code == 404:
            code, message = "not_found", "there is nothing at this address"
        elif status_code == 405:
            code, message = "method_not_allowed", f"{self.request.method} is not allowed here"
        elif status_code >= 500:
            code, message = "internal", "the poll service hit a problem; please try again"
        else:
            code, message = "bad_request", self._reason
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish({"error": {"code": code, "message": message}})

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, ApiError):
            return
        super().log_exception(typ, value, tb)

    async def call(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a store call and map its refusal to an HTTP error."""
        try:
            return await self.hub.run(func, *args, **kwargs)
        except RoomNotFound as exc:
            # Guessing join codes: unknown codes from one address are slowed down to a trickle.
            self.limit("unknown_codes", self.request.remote_ip)
            raise self.store_error(exc) from None
        except StoreError as exc:
            raise self.store_error(exc) from None

    def limit(self, kind: str, key: Any) -> None:
        """Take a token from ``key``'s bucket of ``kind`` (``joins``, ``responses``,
        ``unknown_codes``), or refuse with 429 and a Retry-After. Nothing without limits."""
        if self.app.limits is None:
            return
        buckets: Buckets = getattr(self.app.limits, kind)
        wait = buckets.take(key)
        if wait > 0:
            seconds = retry_after(wait)
            raise ApiError(
                429,
                "rate_limited",
                f"too many requests; try again in {seconds} second{'s' * (seconds != 1)}",
                retry_after=seconds,
            )

    @staticmethod
    def store_error(exc: StoreError) -> ApiError:
        if isinstance(exc, StorageUnavailable):  # the server's file path stays on the server
            return ApiError(
                _STATUS[StorageUnavailable],
                exc.code,
                f"nothing was saved: {exc.public}; "
                f"try again in {STORAGE_RETRY_AFTER} seconds, or tell the facilitator",
                retry_after=STORAGE_RETRY_AFTER,
            )
        status = next((_STATUS[t] for t in type(exc).__mro__ if t in _STATUS), 400)
        return ApiError(status, exc.code, exc.message)

    # -- request bodies ---------------------------------------------------------------------
    def body(self) -> dict:
        if len(self.request.body) > MAX_BODY:
            raise ApiError(413, "too_large", f"the request body is over {MAX_BODY} bytes")
        if not self.request.body:
            return {}
        try:
            data = json.loads(self.request.body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise ApiError(400, "bad_json", "the request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise ApiError(400, "bad_json", "the request body must be a JSON object")
        try:  # a lone surrogate ("\\ud800") is valid JSON but cannot be stored or exported
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ApiError(
                400, "bad_json", "the request body holds text that is not valid Unicode"
            ) from None
        return data

    # -- who is asking ----------------------------------------------------------------------
    def secret(self) -> str:
        header = self.request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise ApiError(
                401,
                "unauthenticated",
                "send your token or facilitator key as 'Authorization: Bearer ...'",
            )
        return value.strip()

    async def require_facilitator(self, code: str) -> None:
        secret = self.secret()
        await self.call(self.app.store.room, code)  # 404 for an unknown room
        if not await self.hub.run(self.app.store.check_facilitator, code, secret):
            raise ApiError(403, "forbidden", "only this room's facilitator may do that")

    async def role(self, code: str) -> tuple[str, int | None]:
        """('facilitator', None) or ('participant', participant id) for the secret presented."""
        secret = self.secret()
        found = await self.call(_role_of, self.app.store, code, secret)  # one trip to the store
        if found is None:
            raise ApiError(
                403, "forbidden", "this token is not known in this room; join the room again"
            )
        return found

    async def question_record(self, question_id: str) -> QuestionRecord:
        return await self.call(self.app.store.question, int(question_id))

    def base_url(self) -> str:
        """The address participants use: --public-url, else the one this request came to (with
        the path prefix the service is served under)."""
        if self.app.public_url:
            return self.app.public_url
        return f"{self.request.protocol}://{self.request.host}{self.app.prefix.rstrip('/')}"

    def join_url(self, code: str) -> str:
        """The link (and QR code) participants open to join room ``code``."""
        return f"{self.base_url()}/join/{code}"

    def presenter_url(self, code: str, token: str | None) -> str | None:
        """The room screen's link for a projector (None once its token is withdrawn). The token
        rides in the #fragment, which browsers never send to a server."""
        if token is None:
            return None
        return f"{self.base_url()}/present/{code}#token={token}"

    def send(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(data))


def _wait_seconds(handler: BaseHandler) -> float:
    raw = handler.get_query_argument("timeout", None)
    if raw is None:
        return DEFAULT_WAIT
    try:
        return max(0.0, min(float(raw), MAX_WAIT))
    except ValueError:
        raise ApiError(400, "bad_request", "'timeout' must be a number of seconds") from None


def _int_argument(handler: BaseHandler, name: str) -> int | None:
    raw = handler.get_query_argument(name, None)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ApiError(400, "bad_request", f"'{name}' must be a whole number") from None


# --------------------------------------------------------------------------- store-thread helpers
# Each runs on the store thread and makes several store calls in one trip there: a trip can wait
# behind a whole batch of responses being written, so a busy room answers sooner with fewer.


def _role_of(store: Store, code: str, secret: str) -> tuple[str, int | None] | None:
    """('facilitator', None), ('participant', id), or None for a secret unknown in the room;
    NotFound for an unknown room."""
    store.room(code)
    if store.check_facilitator(code, secret):
        return "facilitator", None
    try:
        return "participant", store.participant(code, secret)
    except Unauthorized:
        return None


def _room_and_tally(store: Store, record: QuestionRecord) -> tuple[Room, Tally]:
    return store.room(record.room_code), store.tally(record.id)


def _results_after(
    store: Store, question_id: int, after: int
) -> tuple[QuestionRecord, tuple[Room, Tally] | None]:
    """The question, and its room and tally if its version is past ``after``."""
    record = store.question(question_id)
    return record, (_room_and_tally(store, record) if record.version > after else None)


# --------------------------------------------------------------------------- handlers


class HealthHandler(BaseHandler):
    def get(self) -> None:
        self.send({"ok": True, "version": __version__})


class RoomsHandler(BaseHandler):
    async def post(self) -> None:
        await self._check_creator()
        data = self.body()
        title = data.get("title", "")
        min_group = data.get("min_group", 3)
        if not isinstance(title, str) or len(title) > 200:
            raise ApiError(400, "bad_request", "'title' must be text of at most 200 characters")
        if (
            isinstance(min_group, bool)
            or not isinstance(min_group, int)
            or not 1 <= min_group <= 1000
        ):
            raise ApiError(400, "bad_request", "'min_group' must be a whole number from 1 to 1000")
        created = await self.call(self.app.store.create_room, title, min_group=min_group)
        room = created.room
        self.send(
            {
                "code": room.code,
                "title": room.title,
                "min_group": room.min_group,
                "facilitator_key": created.facilitator_key,
                "join_url": self.join_url(room.code),
                "presenter_url": self.presenter_url(room.code, created.presenter_token),
            },
            201,
        )

    async def _check_creator(self) -> None:
        if self.app.create_key:
            header = self.request.headers.get("Authorization", "")
            scheme, _, value = header.partition(" ")
            if scheme.lower() == "bearer" and secret_matches(
                value.strip(), secret_hash(self.app.create_key)
            ):
                return
            if self.app.hub_auth is None:
                raise ApiError(403, "forbidden", "creating a room needs this service's creator key")
        if self.app.hub_auth is not None:  # on a hub every user server is on loopback too
            await self.app.hub_auth.require_facilitator(self)
            return
        try:
            loopback = ipaddress.ip_address(self.request.remote_ip or "").is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ApiError(
                403,
                "forbidden",
                "rooms can be created only from this machine unless a creator key is set",
            )


class RoomHandler(BaseHandler):
    async def get(self, code: str) -> None:
        room = await self.call(self.app.store.room, code)
        data: dict[str, Any] = {"code": room.code, "title": room.title, "min_group": room.min_group}
        if self.request.headers.get("Authorization"):
            await self.require_facilitator(code)
            data["participants"] = await self.call(self.app.store.participant_count, code)
            data["current_question"] = room.current_question
            token = await self.call(self.app.store.presenter_token, code, self.secret())
            data["presenter_url"] = self.presenter_url(room.code, token)
        self.send(data)


class JoinHandler(BaseHandler):
    async def post(self, code: str) -> None:
        self.limit("joins", self.request.remote_ip)
        # The store counts and joins in one transaction: the cap holds across processes too.
        participant = await self.call(self.app.store.join, code, limit=self.app.max_participants)
        self.hub.notify(participant.room_code)
        self.send({"room": participant.room_code, "token": participant.token}, 201)


class QuestionsHandler(BaseHandler):
    async def get(self, code: str) -> None:
        await self.require_facilitator(code)
        records = await self.call(self.app.store.questions, code)
        self.send({"questions": [facilitator_view(r) for r in records]})

    async def post(self, code: str) -> None:
        await self.require_facilitator(code)
        data = self.body()
        tag = data.get("tag", "")
        if not isinstance(tag, str) or len(tag) > 40:
            raise ApiError(400, "bad_request", "'tag' must be text of at most 40 characters")
        source = data.get("content_id")
        if source is not None:
            if not isinstance(source, str):
                raise ApiError(400, "bad_request", "'content_id' must be text")
            if self.app.content is None:
                raise ApiError(
                    409, "no_content", "this service was started without workshop content"
                )
            try:
                question = self.app.content.question(source)
            except KeyError:
                raise ApiError(
                    404, "not_found", f"no scenario, scale or prompt has the id {source!r}"
                ) from None
        elif "question" in data:
            try:
                question = question_from_dict(data["question"])
            except ModelError as exc:
                raise ApiError(400, "invalid_question", exc.message) from None
            except (ValueError, ArithmeticError) as exc:  # e.g. an anchor at "middle", 10**400
                raise ApiError(400, "invalid_question", f"malformed question: {exc}") from None
            if isinstance(question, ScaleQuestion) and not (
                (question.max - question.min) / question.step < MAX_SCALE_POINTS
            ):
                raise ApiError(
                    400,
                    "invalid_question",
                    f"a scale may have at most {MAX_SCALE_POINTS} points; "
                    "use a larger 'step' or a narrower range",
                )
        else:
            raise ApiError(400, "bad_request", "send either 'content_id' or an ad hoc 'question'")
        record = await self.call(
            self.app.store.add_question, code, question, source=source, tag=tag
        )
        self.send(facilitator_view(record), 201)


class QuestionHandler(BaseHandler):
    async def get(self, question_id: str) -> None:
        record = await self.question_record(question_id)
        role, _ = await self.role(record.room_code)
        self.send(facilitator_view(record) if role == "facilitator" else participant_view(record))


class QuestionActionHandler(BaseHandler):
    async def post(self, question_id: str, action: str) -> None:
        record = await self.question_record(question_id)
        await self.require_facilitator(record.room_code)
        store = self.app.store
        qid = record.id
        actions: dict[str, Callable[[], Awaitable[QuestionRecord]]] = {
            "open": lambda: self.call(store.set_state, qid, "open"),
            "close": lambda: self.call(store.set_state, qid, "closed"),
            "reveal": lambda: self.call(store.set_revealed, qid, True),
            "hide": lambda: self.call(store.set_revealed, qid, False),
            "reset": lambda: self.call(store.reset, qid),
        }
        updated = await actions[action]()
        self.hub.notify(record.room_code)
        self.send(facilitator_view(updated))


class ResponseHandler(BaseHandler):
    async def get(self, question_id: str) -> None:
        record = await self.question_record(question_id)
        token = self.secret()
        participant = await self._participant(record, token)
        answers = await self.call(self.app.store.answers_by_participant, record.id)
        self.send({"question": record.id, "answer": answers.get(participant)})

    async def put(self, question_id: str) -> None:
        data = self.body()
        if "answer" not in data:
            raise ApiError(400, "bad_request", 'send your answer as {"answer": ...}')
        # No separate look-up of the question on this hot path: the batch write checks that it
        # exists (the same 404 "not_found"), so a response costs one trip to the store thread.
        qid = int(question_id)
        try:
            token = self.secret()
        except ApiError:
            await self.question_record(question_id)  # an unknown question is a 404 before a 401
            raise
        self.limit("responses", token)
        try:
            stored = await self.hub.respond(qid, token, data["answer"])
        except StoreError as exc:
            raise self.store_error(exc) from None
        self.send(
            {
                "question": qid,
                "answer": stored.answer,
                "moderation": stored.moderation,
                "updated_at": stored.updated_at,
            }
        )

    async def _participant(self, record: QuestionRecord, token: str) -> int:
        try:
            return await self.hub.run(self.app.store.participant, record.room_code, token)
        except Unauthorized:
            raise ApiError(
                403, "forbidden", "only a participant who joined this room can answer its questions"
            ) from None


class ResultsHandler(BaseHandler):
    async def get(self, question_id: str) -> None:
        after = _int_argument(self, "after")
        wait = _wait_seconds(self)
        record = await self.question_record(question_id)
        role, _ = await self.role(record.room_code)
        deadline = asyncio.get_running_loop().time() + wait
        state = None
        while after is not None:
            changed = self.hub.changed(record.room_code)  # taken before reading: no missed wake-up
            record, state = await self.call(_results_after, self.app.store, record.id, after)
            if state is not None or not await self.hub.wait(changed, deadline):
                break
        self.send(await self._results(record, role, state))

    async def _results(
        self, record: QuestionRecord, role: str, state: tuple[Room, Tally] | None = None
    ) -> dict:
        store = self.app.store
        if state is None:
            state = await self.call(_room_and_tally, store, record)
        room, result = state
        visible = results_visible(result, revealed=record.revealed, min_group=room.min_group)
        data: dict[str, Any] = {
            "question": record.id,
            "version": record.version,
            "state": record.state,
            "revealed": record.revealed,
            "min_group": room.min_group,
            "visible_to_participants": visible,
        }
        if role == "facilitator":
            data["tally"] = result.as_dict()
            if record.question.kind == "text":
                data["reflections"] = await self._reflections(record)
        elif visible:
            data["tally"] = result.as_dict()
            if record.question.kind == "text":
                data["reflections"] = await self.call(store.approved_texts, record.id)
        return data

    async def _reflections(self, record: QuestionRecord) -> list[dict]:
        responses = await self.call(self.app.store.responses, record.id)
        safety = self.app.content.safety if self.app.content else None
        return [
            {
                "id": r.id,
                "text": r.answer,
                "moderation": r.moderation,
                "flags": safety.flags(str(r.answer)) if safety else [],
            }
            for r in responses
            if r.answer != PASS
        ]


class PrePostHandler(BaseHandler):
    """How one scale moved between its "pre" and "post" questions: the facilitator always,
    participants once both are revealed with enough answers."""

    async def get(self, code: str, source: str) -> None:
        role, _ = await self.role(code)
        store = self.app.store
        pre, post, comparison = await self.call(store.pre_post, code, source)
        if role != "facilitator":
            room = await self.call(store.room, code)
            shown = all(
                results_visible(t, revealed=r.revealed, min_group=room.min_group)
                for r, t in ((pre, comparison.pre), (post, comparison.post))
            )
            if not shown:
                raise ApiError(
                    403, "not_revealed", "the before-and-after results have not been revealed yet"
                )
        self.send({"pre": pre.id, "post": post.id, "comparison": comparison.as_dict()})


class ModerationHandler(BaseHandler):
    async def post(self, response_id: str, action: str) -> None:
        store = self.app.store
        room_code = await self.call(self._room_of_response, int(response_id))
        await self.require_facilitator(room_code)
        if action == "approve" and self.app.content is not None:
            response = await self.call(store.response, int(response_id))
            if self.app.content.safety.flags(str(response.answer)):
                raise ApiError(
                    409,
                    "flagged",
                    "this reflection was flagged for the facilitator's private attention and "
                    "cannot be shown to the group",
                )
        updated = await self.call(store.moderate, int(response_id), action == "approve")
        self.hub.notify(room_code)
        self.send({"id": updated.id, "moderation": updated.moderation})

    def _room_of_response(self, response_id: int) -> str:
        store = self.app.store
        return store.question(store.response(response_id).question_id).room_code


class CurrentHandler(BaseHandler):
    """The participant page's one call: the room's current question, its state, the caller's own
    answer and, once visible, the group's results. ``?after=<etag>`` waits for a change."""

    async def get(self, code: str) -> None:
        after = self.get_query_argument("after", None)
        wait = _wait_seconds(self)
        _, participant = await self.role(code)
        room = await self.call(self.app.store.room, code)
        deadline = asyncio.get_running_loop().time() + wait
        while True:
            changed = self.hub.changed(room.code)  # taken before reading: no missed wake-up
            view = await self._view(code, participant)
            if after is None or view["etag"] != after or not await self.hub.wait(changed, deadline):
                break
        self.send(view)

    async def _view(self, code: str, participant: int | None) -> dict:
        snap = await self.call(room_snapshot, self.app.store, code, self.app.snapshots)
        view = dict(snap.shared)
        if view["question"] is not None:
            view["your_answer"] = snap.answers.get(participant) if participant is not None else None
        view["etag"] = hashlib.sha256(json.dumps(view, sort_keys=True).encode()).hexdigest()[:16]
        return view


@dataclass(frozen=True)
class Snapshot:
    """What every participant of a room sees, computed once per change of the room."""

    key: tuple
    shared: dict
    answers: dict[int, Any]


def room_snapshot(store: Store, code: str, cache: dict[str, Snapshot]) -> Snapshot:
    """The room's participant-facing state, reused until its current question changes.

    Runs on the store thread (which is also the only user of ``cache``).
    """
    room = store.room(code)
    qid = room.current_question
    key = (qid, store.version(qid) if qid else 0, room.min_group, room.title)
    cached = cache.get(room.code)
    if cached is not None and cached.key == key:
        return cached
    shared: dict[str, Any] = {"room": room.code, "title": room.title, "question": None}
    answers: dict[int, Any] = {}
    record = store.question(qid) if qid else None
    if record is not None and record.state != "draft":
        result = store.tally(record.id)
        shared["question"] = participant_view(record)
        shared["results"] = None
        if results_visible(result, revealed=record.revealed, min_group=room.min_group):
            shared["results"] = result.as_dict()
            if record.question.kind == "text":
                shared["results"]["reflections"] = store.approved_texts(record.id)
        answers = store.answers_by_participant(record.id)
    snapshot = Snapshot(key, shared, answers)
    cache[room.code] = snapshot
    return snapshot


class ExportHandler(BaseHandler):
    async def get(self, code: str) -> None:
        await self.require_facilitator(code)
        per_response = self.get_query_argument("rows", "totals") == "responses"
        rows = await self.call(self.app.store.export_rows, code, per_response=per_response)
        name = f"peerkit-{code.upper()}-{'responses' if per_response else 'totals'}.csv"
        self.set_header("Content-Type", "text/csv; charset=utf-8")
        self.set_header("Content-Disposition", f'attachment; filename="{name}"')
        self.finish(rows_to_csv(rows))


class ApiNotFoundHandler(BaseHandler):
    def prepare(self) -> None:
        raise ApiError(404, "not_found", f"there is no API endpoint at {self.request.path}")


# --------------------------------------------------------------------------- the page


PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class PageHandler(BaseHandler):
    def get(self, code: str | None = None) -> None:
        self.set_header("Content-Security-Policy", PAGE_CSP)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-cache")
        page = (STATIC / "index.html").read_bytes()
        if code is not None:  # at <prefix>join/CODE its relative links go one level up
            page = page.replace(b'="static/', b'="../static/')
        self.finish(page)


class StaticHandler(tornado.web.StaticFileHandler):
    def set_default_headers(self) -> None:
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Security-Policy", PAGE_CSP)
        # Revalidate (a cheap 304) rather than let a phone keep an old app.js by heuristic
        # caching next to a newer index.html after an upgrade.
        self.set_header("Cache-Control", "no-cache")


# --------------------------------------------------------------------------- the app


def normalise_prefix(base_url: str) -> str:
    """``services/peerkit`` or ``/services/peerkit/`` -> ``/services/peerkit/``; ``""`` -> ``/``."""
    parts = [p for p in base_url.split("/") if p]
    if any(p in (".", "..") for p in parts):
        raise ValueError(f"the base URL must be a plain path, not {base_url!r}")
    return "/" + "".join(f"{p}/" for p in parts)


def make_app(
    store: Store,
    *,
    content: Content | None = None,
    create_key: str | None = None,
    public_url: str = "",
    max_participants: int = MAX_PARTICIPANTS,
    limits: Limits | None = None,
    base_url: str = "/",
    hub_auth: HubFacilitators | None = None,
) -> tornado.web.Application:
    """The service as a tornado application. ``limits=None`` (the default here) means no rate
    limits, for embedding and tests; ``peerkit serve`` passes ``Limits()``.

    Everything is served under ``base_url`` (``/services/peerkit/`` behind JupyterHub's proxy,
    which forwards the full path). With ``hub_auth``, rooms are created by hub facilitators, and
    ``<base_url>facilitate`` is their page for starting one in a browser.
    """
    from . import presenter  # the room screen's handlers build on this module's base

    if max_participants < 1:
        raise ValueError("max_participants must be at least 1")
    prefix = normalise_prefix(base_url)
    settings = Settings(
        store,
        content,
        create_key,
        public_url.rstrip("/"),
        max_participants=max_participants,
        limits=limits,
        prefix=prefix,
        hub_auth=hub_auth,
    )
    s = {"settings": settings}
    root = re.escape(prefix.rstrip("/"))  # a pattern: "" at the root
    api = f"{root}/api/v1"
    q = r"(\d{1,18})"
    routes = [
        (rf"{api}/health", HealthHandler, s),
        (rf"{api}/rooms", RoomsHandler, s),
        (rf"{api}/rooms/(\w{{1,16}})", RoomHandler, s),
        (rf"{api}/rooms/(\w{{1,16}})/join", JoinHandler, s),
        (rf"{api}/rooms/(\w{{1,16}})/current", CurrentHandler, s),
        (rf"{api}/rooms/(\w{{1,16}})/questions", QuestionsHandler, s),
        (rf"{api}/rooms/(\w{{1,16}})/export\.csv", ExportHandler, s),
        (rf"{api}/rooms/(\w{{1,16}})/pre-post/([a-z0-9-]{{1,64}})", PrePostHandler, s),
        (rf"{api}/questions/{q}", QuestionHandler, s),
        (rf"{api}/questions/{q}/(open|close|reveal|hide|reset)", QuestionActionHandler, s),
        (rf"{api}/questions/{q}/response", ResponseHandler, s),
        (rf"{api}/questions/{q}/results", ResultsHandler, s),
        (rf"{api}/responses/{q}/(approve|reject)", ModerationHandler, s),
        *presenter.routes(root, api, s),
        (rf"{api}/.*", ApiNotFoundHandler, s),
        (rf"{root}/", PageHandler, s),
        (rf"{root}/join/(\w{{1,16}})", PageHandler, s),
        (rf"{root}/static/(.*)", StaticHandler, {"path": str(STATIC)}),
    ]
    app_settings: dict[str, Any] = {}
    if root:
        routes.append((root, tornado.web.RedirectHandler, {"url": prefix}))
    if hub_auth is not None:
        routes += hub_auth.routes(root, s)
        app_settings["cookie_secret"] = hub_auth.cookie_secret
    app = tornado.web.Application(
        routes, default_handler_class=ApiNotFoundHandler, default_handler_args=s, **app_settings
    )
    app.peerkit = settings  # type: ignore[attr-defined]
    return app
