"""What every handler of the poll service shares: the error type, the service's state, the
handler base (security headers, JSON errors, request bodies, who is asking).

Handlers stay thin: read the request, call the store through the :class:`StoreWorker`, turn a
store error into an HTTP error, write JSON. Every error reaches the client as
``{"error": {"code": "...", "message": "..."}}`` and never as a stack trace.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import tornado.web

from ..content import Content
from ..store import (
    Conflict,
    InvalidAnswer,
    NotFound,
    QuestionClosed,
    QuestionRecord,
    RoomNotFound,
    StorageUnavailable,
    Store,
    StoreError,
    Unauthorized,
)
from .limits import Buckets, Limits, retry_after
from .live import LiveRooms
from .worker import StoreWorker, wait_until

if TYPE_CHECKING:
    from .hubauth import HubFacilitators

T = TypeVar("T")

#: The largest JSON body a handler reads (413 ``too_large`` above).
MAX_BODY = 16 * 1024
#: The largest body the service reads at all: refused from its Content-Length header, before
#: it is read (``app.ServiceApplication``); the HTTP server's own limit for chunked bodies.
MAX_REQUEST_BODY = 64 * 1024
#: Long-polls: the wait when none is asked for, and the longest one granted.
DEFAULT_WAIT = 25.0
MAX_WAIT = 55.0
#: The most participants one room takes (`peerkit serve --max-participants`).
MAX_PARTICIPANTS = 500
#: Seconds a client is asked to wait before retrying a write the database could not take.
STORAGE_RETRY_AFTER = 2

#: Route patterns for a room's join code and for a question's or response's id.
CODE = r"(\w{1,16})"
ID = r"(\d{1,18})"

#: The pages' Content-Security-Policy: nothing but this service's own script, styles and API.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

_STATUS = {
    NotFound: 404,
    Unauthorized: 403,
    QuestionClosed: 409,
    Conflict: 409,
    InvalidAnswer: 422,
    StorageUnavailable: 503,
}


class ApiError(tornado.web.HTTPError):
    """An error for the client: HTTP status, a stable code and a message a person can act on."""

    def __init__(
        self, status: int, code: str, message: str, *, retry_after: int | None = None
    ) -> None:
        super().__init__(status)
        self.code, self.message = code, message
        self.retry_after = retry_after


@dataclass
class ServiceState:
    """The running service's state, in the tornado application's settings as ``"peerkit"``."""

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
    #: The language of a room created without one (``peerkit serve --language``).
    language: str = "en"
    worker: StoreWorker = field(init=False)
    #: What the participant pages of each room are shown, kept in memory.
    live: LiveRooms = field(init=False)

    def __post_init__(self) -> None:
        self.worker = StoreWorker(self.store)
        self.live = LiveRooms(self.worker)


#: The headers every response of the service carries.
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Cache-Control", "no-store"),
)


def set_security_headers(handler: tornado.web.RequestHandler) -> None:
    for name, value in SECURITY_HEADERS:
        handler.set_header(name, value)


class BaseHandler(tornado.web.RequestHandler):
    """The base of every peerkit handler: typed state, security headers, JSON errors."""

    # -- state ----------------------------------------------------------------------------------
    @property
    def service(self) -> ServiceState:
        return self.settings["peerkit"]

    @property
    def store(self) -> Store:
        return self.service.store

    @property
    def worker(self) -> StoreWorker:
        return self.service.worker

    @property
    def live(self) -> LiveRooms:
        return self.service.live

    @property
    def content(self) -> Content | None:
        return self.service.content

    def set_default_headers(self) -> None:
        set_security_headers(self)

    # -- long-polls -------------------------------------------------------------------------
    _waiting: asyncio.Future | None = None
    #: The client closed its connection while this request waited.
    gone = False

    async def wait_for(self, future: asyncio.Future, deadline: float) -> bool:
        """Wait for ``future`` (a change) until the loop time ``deadline``: True if it came.
        Gives up at once when the client closes its connection (then :attr:`gone` is set)."""
        self._waiting = future
        try:
            return await wait_until(future, deadline)
        finally:
            self._waiting = None

    async def poll(
        self,
        room_code: str,
        read: Callable[[], Awaitable[T]],
        tag: Callable[[T], object],
        after: object,
        deadline: float,
    ) -> T | None:
        """A long-poll on a room: ``await read()`` until its ``tag`` differs from ``after``
        (at once when ``after`` is None) or the loop time ``deadline`` passes, then the last
        value read; None when the client went away meanwhile (nobody to answer)."""
        while True:
            changed = self.worker.changed(room_code)  # taken before reading: no missed wake-up
            try:
                value = await read()
                if after is None or tag(value) != after:
                    return value
                if not await self.wait_for(changed, deadline):
                    return None if self.gone else value
            finally:
                changed.cancel()  # leaves the room's waiters (a no-op once woken)

    def on_connection_close(self) -> None:
        self.gone = True
        if self._waiting is not None:
            self._waiting.cancel()

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
        return await self.refusals(self.worker.run(func, *args, **kwargs))

    async def refusals(self, work: Awaitable[T]) -> T:
        """Await ``work``, mapping a store's refusal to an HTTP error."""
        try:
            return await work
        except RoomNotFound as exc:
            # Guessing join codes: unknown codes from one address are slowed down to a trickle.
            self.limit("unknown_codes", self.request.remote_ip)
            raise store_error(exc) from None
        except StoreError as exc:
            raise store_error(exc) from None

    def limit(self, kind: str, key: Any) -> None:
        """Take a token from ``key``'s bucket of ``kind`` (``joins``, ``responses``,
        ``unknown_codes``), or refuse with 429 and a Retry-After. Nothing without limits."""
        if self.service.limits is None:
            return
        buckets: Buckets = getattr(self.service.limits, kind)
        wait = buckets.take(key)
        if wait > 0:
            seconds = retry_after(wait)
            raise ApiError(
                429,
                "rate_limited",
                f"too many requests; try again in {seconds} second{'s' * (seconds != 1)}",
                retry_after=seconds,
            )

    # -- request bodies ---------------------------------------------------------------------
    def body(self) -> dict:
        if len(self.request.body) > MAX_BODY:
            raise ApiError(413, "too_large", f"the request body is over {MAX_BODY} bytes")
        if not self.request.body:
            return {}
        try:
            data = json.loads(self.request.body, parse_constant=_refuse_constant)
        except _NotJson:
            raise ApiError(
                400, "bad_json", "the request body holds NaN or Infinity, which JSON does not allow"
            ) from None
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

    def wait_seconds(self) -> float:
        """The long-poll's ``?timeout=`` in seconds, within 0 and :data:`MAX_WAIT`."""
        raw = self.get_query_argument("timeout", None)
        if raw is None:
            return DEFAULT_WAIT
        try:
            seconds = float(raw)
        except ValueError:
            seconds = math.nan
        if math.isnan(seconds):
            raise ApiError(400, "bad_request", "'timeout' must be a number of seconds")
        return max(0.0, min(seconds, MAX_WAIT))

    def int_argument(self, name: str) -> int | None:
        raw = self.get_query_argument(name, None)
        if raw is None:
            return None
        try:
            return int(raw)
        except ValueError:
            raise ApiError(400, "bad_request", f"'{name}' must be a whole number") from None

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
        await self.call(self.store.room, code)  # 404 for an unknown room
        if not await self.worker.run(self.store.check_facilitator, code, secret):
            raise ApiError(403, "forbidden", "only this room's facilitator may do that")

    async def role(self, code: str) -> tuple[str, int | None]:
        """('facilitator', None) or ('participant', participant id) for the secret presented."""
        secret = self.secret()
        found = await self.refusals(self.live.role(code, secret))  # remembered per room
        if found is None:
            raise ApiError(
                403, "forbidden", "this token is not known in this room; join the room again"
            )
        return found

    async def question_record(self, question_id: str) -> QuestionRecord:
        return await self.call(self.store.question, int(question_id))

    # -- answers ----------------------------------------------------------------------------
    def base_url(self) -> str:
        """The address participants use: --public-url, else the one this request came to (with
        the path prefix the service is served under)."""
        if self.service.public_url:
            return self.service.public_url
        return f"{self.request.protocol}://{self.request.host}{self.service.prefix.rstrip('/')}"

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


class _NotJson(Exception):
    pass


def _refuse_constant(name: str) -> None:
    """Python's json module reads NaN, Infinity and -Infinity; JSON has no such values."""
    raise _NotJson(name)


def store_error(exc: StoreError) -> ApiError:
    """The HTTP error for a store's refusal."""
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


class ApiNotFoundHandler(BaseHandler):
    """Everything under the API's path that no route matches."""

    def prepare(self) -> None:
        raise ApiError(404, "not_found", f"there is no API endpoint at {self.request.path}")
