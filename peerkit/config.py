"""Every setting peerkit reads from the environment, and the private files of its data folder.

Only this module reads ``os.environ``; the rest of peerkit asks :func:`environment` (read afresh
on each call, so a notebook or test that changes a variable sees the change) or
:func:`data_home`. Empty variables count as unset.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DATABASE_URL_VARIABLE",
    "Environment",
    "data_home",
    "environment",
    "missing",
    "read_private",
    "write_private",
]

#: The environment variable that names the database when ``--db`` is not given.
DATABASE_URL_VARIABLE = "PEERKIT_DATABASE_URL"


@dataclass(frozen=True)
class Environment:
    """peerkit's environment variables, read once."""

    #: ``$PEERKIT_SERVICE_URL``: the poll service a notebook connects to (group mode).
    service_url: str | None
    #: ``$PEERKIT_ROOM``: the room a participant's notebook joins.
    room: str | None
    #: ``$PEERKIT_FACILITATOR_KEY``: the facilitator's key for that room.
    facilitator_key: str | None
    #: ``$PEERKIT_PUBLIC_URL``: the address participants use, for join links.
    public_url: str | None
    #: ``$PEERKIT_REHEARSE``: the size of a simulated group (rehearsal mode).
    rehearse: int | None
    #: ``$PEERKIT_SEED``: fixes the simulated group's answers.
    seed: int | None
    #: ``$PEERKIT_DATA``: the workshop content folder.
    data: Path | None
    #: ``$PEERKIT_CREATE_KEY``: the key the service asks of anyone creating a room.
    create_key: str | None
    #: ``$PEERKIT_DATABASE_URL``: the service's database.
    database_url: str | None
    #: ``$JUPYTERHUB_API_TOKEN``: a single-user server's hub token (a notebook on JupyterHub).
    hub_api_token: str | None
    #: ``$JUPYTERHUB_SERVICE_NAME``: set by JupyterHub for the services it starts.
    hub_service_name: str | None
    #: ``$JUPYTERHUB_SERVICE_PREFIX``: the path JupyterHub serves a service under.
    hub_service_prefix: str | None
    #: ``$JUPYTERHUB_PUBLIC_URL``: the hub's public address, for a hub service's join links.
    hub_public_url: str | None
    #: ``$PEERKIT_LANGUAGE``: the language of self-paced and rehearsal notebooks, and of a room
    #: a hub notebook starts (otherwise the content's language).
    language: str | None = None


def _get(name: str) -> str | None:
    return os.environ.get(name) or None


def _whole_number(name: str) -> int | None:
    text = _get(name)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"${name} must be a whole number, not {text!r}") from None


def environment() -> Environment:
    """The environment variables as they are now."""
    data = _get("PEERKIT_DATA")
    return Environment(
        service_url=_get("PEERKIT_SERVICE_URL"),
        room=_get("PEERKIT_ROOM"),
        facilitator_key=_get("PEERKIT_FACILITATOR_KEY"),
        public_url=_get("PEERKIT_PUBLIC_URL"),
        rehearse=_whole_number("PEERKIT_REHEARSE"),
        seed=_whole_number("PEERKIT_SEED"),
        data=Path(data) if data else None,
        create_key=_get("PEERKIT_CREATE_KEY"),
        database_url=_get(DATABASE_URL_VARIABLE),
        hub_api_token=_get("JUPYTERHUB_API_TOKEN"),
        hub_service_name=_get("JUPYTERHUB_SERVICE_NAME"),
        hub_service_prefix=_get("JUPYTERHUB_SERVICE_PREFIX"),
        hub_public_url=_get("JUPYTERHUB_PUBLIC_URL"),
        language=_get("PEERKIT_LANGUAGE"),
    )


def missing(names: tuple[str, ...]) -> list[str]:
    """Which of the environment variables ``names`` are unset or empty (those another library
    reads itself, such as JupyterHub's service variables)."""
    return [name for name in names if not _get(name)]


def data_home() -> Path:
    """The data folder: ``$PEERKIT_HOME``, else ``$XDG_DATA_HOME/peerkit``, else
    ``~/.local/share/peerkit``. The facilitator's database and rooms, participant tokens and
    self-paced answers live here between sessions."""
    home = _get("PEERKIT_HOME")
    if home:
        return Path(home)
    base = _get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "peerkit"


def read_private(path: Path) -> dict:
    """What :func:`write_private` kept at ``path``; empty if nothing (readable) is there."""
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return saved if isinstance(saved, dict) else {}


def write_private(path: Path, data: dict) -> None:
    """Write JSON readable by this account only (the file holds keys or tokens)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(json.dumps(data))
