"""Which session a notebook gets: :func:`connect` reads the environment and builds a live
room's session, a rehearsal or a self-paced session."""

from __future__ import annotations

from .client import RemoteSession, Session
from .config import data_home, environment
from .content import Content
from .rehearsal import RehearsalSession
from .resume import kept_room
from .solo import solo_session

__all__ = ["connect"]


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
    (``$PEERKIT_SEED`` fixes their answers); otherwise self-paced mode for one person alone,
    with answers kept in the data folder (:mod:`peerkit.solo`).

    The session's :attr:`~peerkit.client.Session.language` is its room's, and peerkit shows
    itself in it from then on: a rehearsal or self-paced session takes ``$PEERKIT_LANGUAGE``
    or the content's language, and so does a room a hub facilitator's notebook starts.
    """
    env = environment()
    url = service_url or env.service_url
    if not url and env.rehearse:
        return RehearsalSession(env.rehearse, seed=env.seed, content=content)
    if not url:
        return solo_session(content=content)
    url = url.rstrip("/")
    room = room or env.room
    key = facilitator_key or env.facilitator_key
    public_url = env.public_url
    if not room and not key and env.hub_api_token:
        mine = kept_room(
            url,
            data_home() / "hub-room.json",
            authorization=f"token {env.hub_api_token}",
            title="Peer support workshop",
            new_room=new_room,
            language=env.language or (content.language if content else None),
        )
        if mine is not None:
            room, key = mine["code"], mine["key"]
            public_url = public_url or mine["join_url"].rsplit("/join/", 1)[0]
    if not room:
        raise ValueError(
            "type the room code the facilitator shows, for example peerkit.connect('ABC123')"
        )
    return RemoteSession(url, room, facilitator_key=key, public_url=public_url, content=content)
