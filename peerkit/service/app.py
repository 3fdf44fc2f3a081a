"""The poll service as a tornado application: a JSON API under ``<prefix>api/v1/`` and the
participant page. :func:`make_app` only assembles routes; the handlers live in :mod:`.rooms`,
:mod:`.questions` and :mod:`.pages`, what they share in :mod:`.base`. The application class
itself adds one thing tornado lacks: a JSON refusal of an oversized body."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import TYPE_CHECKING, Any

import tornado.httputil
import tornado.iostream
import tornado.web

from ..content import Content
from ..i18n import check_language
from ..store import Store
from . import events, pages, presenter, questions, rooms, strings
from .base import (
    MAX_PARTICIPANTS,
    MAX_REQUEST_BODY,
    SECURITY_HEADERS,
    ApiNotFoundHandler,
    ServiceState,
)
from .limits import Limits

if TYPE_CHECKING:
    from .hubauth import HubFacilitators

log = logging.getLogger(__name__)

#: Handler modules whose ``default_handlers`` are served under the API root.
API_MODULES = (rooms, questions, events, presenter, strings)
#: After refusing an oversized body, read (and drop) at most this much of it, for this many
#: seconds, before closing: a client still sending then reads the refusal rather than a reset.
LINGER_BYTES = 1024 * 1024
LINGER_SECONDS = 2.0
_refusing: set[asyncio.Future] = set()


class ServiceApplication(tornado.web.Application):
    """The tornado application, refusing a body over :data:`MAX_REQUEST_BODY` with the
    service's JSON error (413 ``too_large``) as soon as its headers arrive. (Left to the HTTP
    server, such a request gets a bare 400 and a closed connection.)"""

    def start_request(
        self, server_conn: object, request_conn: tornado.httputil.HTTPConnection
    ) -> tornado.httputil.HTTPMessageDelegate:
        return _BodySizeCheck(super().start_request(server_conn, request_conn), request_conn)


class _BodySizeCheck(tornado.httputil.HTTPMessageDelegate):
    def __init__(self, inner: tornado.httputil.HTTPMessageDelegate, connection: Any) -> None:
        self.inner, self.connection = inner, connection

    def headers_received(
        self,
        start_line: tornado.httputil.RequestStartLine | tornado.httputil.ResponseStartLine,
        headers: tornado.httputil.HTTPHeaders,
    ) -> Any:
        length = headers.get("Content-Length", "").split(",")[0].strip()
        if length.isdigit() and int(length) > MAX_REQUEST_BODY:
            # Detaching (allowed only here) stops tornado reading the request: no 100
            # Continue is sent, so a client that asked for one never sends the body at all.
            stream = self.connection.detach()
            task = asyncio.ensure_future(_refuse_and_close(stream))
            _refusing.add(task)  # held until done: the loop keeps only weak references
            task.add_done_callback(_refusing.discard)
            return None
        return self.inner.headers_received(start_line, headers)

    def data_received(self, chunk: bytes) -> Any:
        return self.inner.data_received(chunk)

    def finish(self) -> None:
        self.inner.finish()

    def on_connection_close(self) -> None:
        self.inner.on_connection_close()


async def _refuse_and_close(stream: tornado.iostream.IOStream) -> None:
    body = json.dumps(
        {
            "error": {
                "code": "too_large",
                "message": f"the request body is over {MAX_REQUEST_BODY} bytes",
            }
        }
    ).encode()
    head = ["HTTP/1.1 413 Payload Too Large", *(f"{k}: {v}" for k, v in SECURITY_HEADERS)]
    head += [
        "Content-Type: application/json; charset=utf-8",
        f"Content-Length: {len(body)}",
        "Connection: close",
    ]
    log.info("refused a request body over %d bytes", MAX_REQUEST_BODY)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LINGER_SECONDS
    try:
        await stream.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        dropped = 0
        while dropped < LINGER_BYTES and loop.time() < deadline:
            chunk = await asyncio.wait_for(
                stream.read_bytes(64 * 1024, partial=True), deadline - loop.time()
            )
            dropped += len(chunk)
    except (tornado.iostream.StreamClosedError, TimeoutError):
        pass
    finally:
        stream.close()


def normalise_prefix(base_url: str) -> str:
    """``services/peerkit`` or ``/services/peerkit/`` -> ``/services/peerkit/``; ``""`` -> ``/``."""
    parts = [p for p in base_url.split("/") if p]
    if any(p in (".", "..") for p in parts):
        raise ValueError(f"the base URL must be a plain path, not {base_url!r}")
    return "/" + "".join(f"{p}/" for p in parts)


def _under(root: str, handlers: list[tuple]) -> list[tuple]:
    return [(root + pattern, *rest) for pattern, *rest in handlers]


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
    language: str | None = None,
) -> tornado.web.Application:
    """The service as a tornado application. ``limits=None`` (the default here) means no rate
    limits, for embedding and tests; ``peerkit serve`` passes ``Limits()``.

    Everything is served under ``base_url`` (``/services/peerkit/`` behind JupyterHub's proxy,
    which forwards the full path). With ``hub_auth``, rooms are created by hub facilitators, and
    ``<base_url>facilitate`` is their page for starting one in a browser.

    A room created without a language is in ``language``: by default the content's language,
    English without content.
    """
    if max_participants < 1:
        raise ValueError("max_participants must be at least 1")
    prefix = normalise_prefix(base_url)
    state = ServiceState(
        store,
        content,
        create_key,
        public_url.rstrip("/"),
        max_participants=max_participants,
        limits=limits,
        prefix=prefix,
        hub_auth=hub_auth,
        language=check_language(language or (content.language if content else None)),
    )
    root = re.escape(prefix.rstrip("/"))  # a pattern: "" at the root
    api = f"{root}/api/v1"
    routes = [route for module in API_MODULES for route in _under(api, module.default_handlers)]
    routes.append((rf"{api}/.*", ApiNotFoundHandler))
    routes += _under(root, presenter.page_handlers + pages.default_handlers)
    app_settings: dict[str, Any] = {"peerkit": state}
    if root:
        routes.append((root, tornado.web.RedirectHandler, {"url": prefix}))
    if hub_auth is not None:
        routes += hub_auth.routes(root)
        app_settings["cookie_secret"] = hub_auth.cookie_secret
    app = ServiceApplication(routes, default_handler_class=ApiNotFoundHandler, **app_settings)
    app.peerkit = state  # type: ignore[attr-defined]
    return app
