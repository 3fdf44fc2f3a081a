"""Hub sign-in for facilitators, with a stand-in for JupyterHub's HubOAuth: who may create rooms
through the API, and how a notebook on the hub gets (and keeps) its facilitator's room.

tests/test_jupyterhub.py runs the same against a real JupyterHub.
"""

from __future__ import annotations

import json
import re
import stat
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
import tornado.web
from serving import serving

import peerkit
from peerkit.client import RemoteSession
from peerkit.content import Content
from peerkit.service.hubauth import FACILITATE_SCOPE, HubFacilitators
from peerkit.store import SQLiteStore

PREFIX = "/services/peerkit/"
ACCESS = "access:services!service=peerkit"
CREATE_KEY = "creator-key-for-hub-tests"


class StubHubAuth:
    """Answers as HubOAuth does, from a fixed table of tokens."""

    access_scopes = frozenset({ACCESS})
    oauth_redirect_uri = PREFIX + "oauth_callback"
    down = False

    users: ClassVar[dict[str, dict]] = {
        "fran-token": {"kind": "user", "name": "fran", "scopes": [FACILITATE_SCOPE, ACCESS]},
        "pat-token": {"kind": "user", "name": "pat", "scopes": [ACCESS, "read:users!user=pat"]},
        "narrow-token": {"kind": "user", "name": "nico", "scopes": [FACILITATE_SCOPE]},
    }

    def get_token(self, handler: tornado.web.RequestHandler, in_cookie: bool = True) -> str:
        header = handler.request.headers.get("Authorization", "")
        match = re.match(r"(?:token|bearer)\s+(.+)", header, re.IGNORECASE)
        return match.group(1) if match else ""

    async def user_for_token(self, token: str, *, sync: bool = True) -> dict | None:
        if self.down:
            raise tornado.web.HTTPError(500, "Failed to connect to Hub API")
        return self.users.get(token)


@pytest.fixture
def hub_service(tmp_path: Path, content: Content) -> Iterator[tuple[str, StubHubAuth]]:
    auth = StubHubAuth()
    store = SQLiteStore(tmp_path / "hub.db")
    facilitators = HubFacilitators(auth)  # type: ignore[arg-type]
    kwargs = {"content": content, "base_url": PREFIX, "hub_auth": facilitators}
    with serving(store, create_key=CREATE_KEY, **kwargs) as url:
        yield url + PREFIX.rstrip("/"), auth


def create(url: str, authorization: str | None) -> tuple[int, dict]:
    request = urllib.request.Request(url + "/api/v1/rooms", data=b"{}", method="POST")
    if authorization:
        request.add_header("Authorization", authorization)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_only_hub_facilitators_create_rooms(hub_service: tuple[str, StubHubAuth]) -> None:
    url, auth = hub_service
    status, body = create(url, None)  # loopback alone is not enough: every user server is local
    assert (status, body["error"]["code"]) == (401, "unauthenticated")
    assert "Authorization: token" in body["error"]["message"]
    assert create(url, "token nobody-knows-this")[0] == 401

    status, body = create(url, "token pat-token")
    assert (status, body["error"]["code"]) == (403, "forbidden")
    message = body["error"]["message"]
    assert "pat" in message and FACILITATE_SCOPE in message and "administrator" in message

    status, body = create(url, "token narrow-token")  # lacks access to the service itself
    assert status == 403 and ACCESS in body["error"]["message"]

    status, body = create(url, "token fran-token")
    assert status == 201, body
    assert body["join_url"].endswith(f"{PREFIX}join/{body['code']}")
    assert "fran" not in json.dumps(body)
    assert create(url, f"Bearer {CREATE_KEY}")[0] == 201  # an administrator's scripts

    auth.down = True
    status, body = create(url, "token fran-token")
    assert (status, body["error"]["code"]) == (503, "hub_unavailable")


def test_a_facilitators_notebook_gets_and_keeps_its_room(
    hub_service: tuple[str, StubHubAuth], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = hub_service
    monkeypatch.setenv("PEERKIT_HOME", str(tmp_path / "fran"))
    monkeypatch.setenv("PEERKIT_SERVICE_URL", url + "/")
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "fran-token")
    for name in ("PEERKIT_ROOM", "PEERKIT_FACILITATOR_KEY", "PEERKIT_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)

    first = peerkit.connect()
    assert isinstance(first, RemoteSession) and first.is_facilitator
    assert first.join_url == f"{url}/join/{first.room}"
    saved = tmp_path / "fran" / "hub-room.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert "fran" not in saved.read_text()  # the room's code and key, never the user's name

    again = peerkit.connect()  # a restarted kernel, another notebook: the same room
    assert again.room == first.room and again.is_facilitator
    fresh = peerkit.connect(new_room=True)
    assert fresh.room != first.room
    assert peerkit.connect().room == fresh.room

    monkeypatch.setenv("PEERKIT_HOME", str(tmp_path / "pat"))
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "pat-token")
    with pytest.raises(ValueError, match="type the room code"):
        peerkit.connect()
    participant = peerkit.connect(fresh.room.lower())
    assert participant.role == "participant" and participant.room == fresh.room
    assert not (tmp_path / "pat" / "hub-room.json").exists()
