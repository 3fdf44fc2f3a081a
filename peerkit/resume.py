"""A facilitator's room kept between sessions: one way for ``peerkit lab`` and for notebooks on
JupyterHub to resume their room, or to start a new one when it is gone.

The room's code and facilitator key are kept in a JSON file in the data folder, readable by its
owner only, under a name for each service (``peerkit lab`` keeps one room in ``lab-room.json``;
a hub notebook keeps one per service URL in ``hub-room.json``). Nothing in it names a person.
"""

from __future__ import annotations

import logging
from pathlib import Path

from .client import ClientError, ServiceUnavailable, _http
from .config import read_private, write_private
from .i18n import check_language

__all__ = ["kept_room"]

log = logging.getLogger(__name__)


def kept_room(
    url: str,
    path: Path,
    *,
    authorization: str,
    title: str,
    new_room: bool = False,
    slot: str | None = None,
    language: str | None = None,
) -> dict | None:
    """The facilitator's room on the service at ``url``: the one kept in ``path`` (under
    ``slot``, by default the URL) while the service still knows it and its key, else a new one
    created with ``authorization`` (always a new one with ``new_room``) and kept there.

    A new room is in ``language`` (None: the service's default language); a kept room in
    another language than a ``language`` given is replaced by a new one.

    Returns ``{"code", "key", "join_url", "language"}``, or None when the service does not let
    this caller create rooms (on a hub: a participant, who types the room code instead).
    """
    slot = slot or url
    language = check_language(language) if language else None
    rooms = read_private(path)
    saved = rooms.get(slot)
    if isinstance(saved, dict) and not new_room:
        try:
            details = _http(
                url, "GET", f"/rooms/{saved['code']}", authorization=f"Bearer {saved['key']}"
            )
            kept = {**saved, "language": details.get("language", "en")}
            if language is None or kept["language"] == language:
                return kept
            log.info("the kept room %s is in %s, not %s", saved["code"], kept["language"], language)
        except ServiceUnavailable:
            raise
        except (ClientError, KeyError):  # gone (purged, a new database) or unreadable: start anew
            pass
    try:
        body = {"title": title, **({"language": language} if language else {})}
        created = _http(url, "POST", "/rooms", body, authorization=authorization)
    except ServiceUnavailable:
        raise
    except ClientError as exc:
        if exc.code in ("unauthenticated", "forbidden"):
            log.info("this account may not create rooms on %s: %s", url, exc.message)
            return None
        raise
    room = {
        "code": created["code"],
        "key": created["facilitator_key"],
        "join_url": created["join_url"],
        "language": created.get("language", "en"),
    }
    rooms[slot] = room
    write_private(path, rooms)
    return room
