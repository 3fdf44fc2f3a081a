"""The poll service as a tornado application: a JSON API under ``<prefix>api/v1/`` and the
participant page. This module only assembles; the handlers live in :mod:`.rooms`,
:mod:`.questions` and :mod:`.pages`, what they share in :mod:`.base`."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import tornado.web

from ..content import Content
from ..store import Store
from . import events, pages, presenter, questions, rooms
from .base import MAX_PARTICIPANTS, ApiNotFoundHandler, ServiceState
from .limits import Limits

if TYPE_CHECKING:
    from .hubauth import HubFacilitators

#: Handler modules whose ``default_handlers`` are served under the API root.
API_MODULES = (rooms, questions, events, presenter)


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
) -> tornado.web.Application:
    """The service as a tornado application. ``limits=None`` (the default here) means no rate
    limits, for embedding and tests; ``peerkit serve`` passes ``Limits()``.

    Everything is served under ``base_url`` (``/services/peerkit/`` behind JupyterHub's proxy,
    which forwards the full path). With ``hub_auth``, rooms are created by hub facilitators, and
    ``<base_url>facilitate`` is their page for starting one in a browser.
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
    app = tornado.web.Application(routes, default_handler_class=ApiNotFoundHandler, **app_settings)
    app.peerkit = state  # type: ignore[attr-defined]
    return app
