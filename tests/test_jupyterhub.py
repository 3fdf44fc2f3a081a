"""End to end on a real JupyterHub, on loopback: the example docs/jupyterhub_config.py, with only
what a test must change (sign-in, spawner, ports, paths, the proxy and the hub's database).

A facilitator and a participant sign in through the hub's login form and start their servers.
In the facilitator's kernel, peerkit creates a room through hub sign-in and opens a question;
in the participant's kernel, peerkit finds the service from the environment the hub gives and
answers; the facilitator sees the answer. Browsers (plain HTTP with cookie jars) go through the
hub's OAuth to the facilitator page, and phones' participant page loads through the proxy.

JupyterHub's proxy comes from node_modules (package-lock.json); it is installed with `npm ci`
when missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from nodetools import PROXY, npm_tool
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from peerkit.service.hubauth import FACILITATE_SCOPE

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "jupyterhub_config.py"
VENV_BIN = Path(sys.executable).parent
PASSWORD = "workshop-password-for-tests"
FACILITATOR, PARTICIPANT = "fran", "pat"
PREFIX = "/services/peerkit"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


# --------------------------------------------------------------------------- the hub


def proxy_command() -> Path:
    """configurable-http-proxy from node_modules, installed from package-lock.json if needed."""
    return npm_tool(PROXY)


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def hub_config(tmp: Path, ports: dict[str, int]) -> str:
    """The example configuration, and only what a test must change in it."""
    public = f"http://127.0.0.1:{ports['proxy']}"
    return textwrap.dedent(
        f"""\
        import sys

        c = get_config()
        load_subconfig({str(EXAMPLE)!r})

        # Sign-in: a fixed password instead of the university's authenticator.
        c.JupyterHub.authenticator_class = "dummy"
        c.DummyAuthenticator.password = {PASSWORD!r}
        c.Authenticator.allowed_users = {{{FACILITATOR!r}, {PARTICIPANT!r}}}
        c.JupyterHub.load_groups = {{"facilitators": {{"users": [{FACILITATOR!r}]}}}}

        # Servers: local processes as this (root) user, each in a home of its own.
        c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
        c.SimpleLocalProcessSpawner.home_dir_template = {str(tmp / "home" / "{username}")!r}
        c.Spawner.cmd = [{str(VENV_BIN / "jupyterhub-singleuser")!r}]
        c.Spawner.args = ["--allow-root"]
        c.Spawner.start_timeout = 60
        c.Spawner.http_timeout = 60

        # Ports, paths, the proxy and the hub's database.
        c.JupyterHub.public_url = {public + "/"!r}
        c.JupyterHub.bind_url = {public!r}
        c.JupyterHub.hub_bind_url = "http://127.0.0.1:{ports["hub"]}"
        c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{ports["proxy_api"]}"
        c.ConfigurableHTTPProxy.command = [{str(proxy_command())!r}]
        c.ConfigurableHTTPProxy.pid_file = {str(tmp / "proxy.pid")!r}
        c.JupyterHub.db_url = {"sqlite:///" + str(tmp / "jupyterhub.sqlite")!r}
        c.JupyterHub.cookie_secret_file = {str(tmp / "cookie_secret")!r}

        service = next(s for s in c.JupyterHub.services if s["name"] == "peerkit")
        args = list(service["command"][1:])
        args[args.index("--port") + 1] = "{ports["service"]}"
        args[args.index("--db") + 1] = {str(tmp / "peerkit.db")!r}
        service["command"] = [sys.executable, "-m", "peerkit", *args]
        service["url"] = service["url"].replace(":8765", ":{ports["service"]}")
        env = c.Spawner.environment
        env["PEERKIT_SERVICE_URL"] = env["PEERKIT_SERVICE_URL"].replace(
            ":8765", ":{ports["service"]}"
        )
        env["PEERKIT_PUBLIC_URL"] = env["PEERKIT_PUBLIC_URL"].replace(
            "https://hub.example.org", {public!r}
        )
        """
    )


@dataclass
class Hub:
    url: str  # the public address: the proxy
    tmp: Path

    def browser(self) -> httpx.Client:
        """A browser: a cookie jar, redirects followed by hand unless asked."""
        return httpx.Client(base_url=self.url, timeout=30)

    def sign_in(self, name: str) -> httpx.Client:
        client = self.browser()
        form = client.get("/hub/login")
        assert form.status_code == 200, form.text
        xsrf = re.search(r'name="_xsrf"\s+value="([^"]+)"', form.text)
        assert xsrf, "the login form has no _xsrf field"
        reply = client.post(
            "/hub/login",
            data={"username": name, "password": PASSWORD, "_xsrf": xsrf.group(1)},
        )
        assert reply.status_code == 302, (reply.status_code, reply.text)
        assert client.get("/hub/home").status_code == 200  # a fresh _xsrf for the signed-in user
        return client

    def api_token(self, client: httpx.Client, name: str) -> str:
        """A token of the signed-in user's own, asked for as the hub's web pages do."""
        reply = client.post(
            f"/hub/api/users/{name}/tokens",
            json={"note": "end-to-end test", "expires_in": 600},
            headers={"X-XSRFToken": client.cookies.get("_xsrf", path="/hub/")},
        )
        assert reply.status_code == 201, reply.text
        return reply.json()["token"]

    def start_server(self, name: str, token: str) -> None:
        headers = {"Authorization": f"token {token}"}
        reply = httpx.post(f"{self.url}/hub/api/users/{name}/server", headers=headers, timeout=30)
        assert reply.status_code in (201, 202), reply.text

    def wait_ready(self, name: str, token: str, timeout: float = 90) -> None:
        headers = {"Authorization": f"token {token}"}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            model = httpx.get(f"{self.url}/hub/api/users/{name}", headers=headers, timeout=30)
            server = model.json().get("servers", {}).get("", {})
            if server.get("ready"):
                return
            time.sleep(0.5)
        pytest.fail(f"{name}'s server was not ready within {timeout:.0f} s; see {self.tmp}")


def wait_until_up(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"JupyterHub exited ({proc.returncode}):\n{log.read_text()[-5000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=5).status_code == 200:
                return
        time.sleep(0.3)
    pytest.fail(f"{url} did not answer within {timeout:.0f} s:\n{log.read_text()[-5000:]}")


def processes_under(folder: Path) -> list[int]:
    """Processes working in ``folder``: the hub, its proxy, the service, user servers, kernels."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            cwd = Path(os.readlink(entry / "cwd"))
            if cwd == folder or folder in cwd.parents:
                found.append(int(entry.name))
    return found


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    tmp = tmp_path_factory.mktemp("jupyterhub").resolve()
    ports = dict(zip(("proxy", "proxy_api", "hub", "service"), free_ports(4), strict=True))
    config = tmp / "test_config.py"
    config.write_text(hub_config(tmp, ports))
    log = tmp / "jupyterhub.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PEERKIT_", "JUPYTERHUB_"))}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(config)],
            cwd=tmp,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    hub = Hub(f"http://127.0.0.1:{ports['proxy']}", tmp)
    try:
        wait_until_up(f"{hub.url}/hub/health", proc, log)
        wait_until_up(f"{hub.url}{PREFIX}/api/v1/health", proc, log)
        yield hub
    finally:
        # The hub stops the proxy, the service and the user servers (cleanup_servers).
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        deadline = time.monotonic() + 10
        while (left := processes_under(tmp)) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in left:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        assert not left, f"processes left running after the hub stopped: {left}"


# --------------------------------------------------------------------------- kernels


class Kernel:
    """A kernel in a user's server, reached through the hub's proxy (REST and websocket)."""

    def __init__(self, hub: Hub, name: str, token: str) -> None:
        self.base = f"{hub.url}/user/{name}/api"
        self.headers = {"Authorization": f"token {token}"}
        reply = httpx.post(f"{self.base}/kernels", json={}, headers=self.headers, timeout=60)
        assert reply.status_code == 201, reply.text
        self.id = reply.json()["id"]
        self.session = uuid.uuid4().hex

    def run(self, code: str, timeout: float = 60) -> str:
        """Run ``code``; its standard output, or the test fails with the kernel's traceback."""
        return asyncio.run(asyncio.wait_for(self._run(textwrap.dedent(code)), timeout))

    async def _run(self, code: str) -> str:
        url = self.base.replace("http://", "ws://", 1) + f"/kernels/{self.id}/channels"
        ws = await websocket_connect(HTTPRequest(url, headers=self.headers))
        msg_id = uuid.uuid4().hex
        header = {
            "msg_id": msg_id,
            "session": self.session,
            "username": "test",
            "msg_type": "execute_request",
            "version": "5.3",
        }
        content = {"code": code, "silent": False, "store_history": False, "allow_stdin": False}
        request = {"header": header, "parent_header": {}, "metadata": {}, "content": content}
        await ws.write_message(json.dumps({**request, "channel": "shell", "buffers": []}))
        out: list[str] = []
        error = None
        replied = idle = False
        try:
            while not (replied and idle):
                raw = await ws.read_message()
                assert raw is not None, "the kernel's websocket closed"
                msg = json.loads(raw)
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind = msg["msg_type"]
                if kind == "stream" and msg["content"]["name"] == "stdout":
                    out.append(msg["content"]["text"])
                elif kind == "error":
                    error = "\n".join(msg["content"]["traceback"])
                elif kind == "execute_reply":
                    replied = True
                elif kind == "status" and msg["content"]["execution_state"] == "idle":
                    idle = True
        finally:
            ws.close()
        if error:
            pytest.fail("the kernel raised:\n" + ANSI.sub("", error))
        return "".join(out)

    def json(self, code: str) -> dict:
        """Run ``code``, whose last line of output is JSON."""
        return json.loads(self.run(code).strip().splitlines()[-1])


# --------------------------------------------------------------------------- the test


def test_a_workshop_on_jupyterhub(hub: Hub) -> None:
    started = time.monotonic()
    fran = hub.sign_in(FACILITATOR)
    pat = hub.sign_in(PARTICIPANT)
    fran_token = hub.api_token(fran, FACILITATOR)
    pat_token = hub.api_token(pat, PARTICIPANT)
    hub.start_server(FACILITATOR, fran_token)
    hub.start_server(PARTICIPANT, pat_token)

    # Meanwhile: the API refuses a participant's hub token (403, saying who grants the
    # permission) and a request without one (401); phones need no hub account at all.
    rooms = f"{hub.url}{PREFIX}/api/v1/rooms"
    refused = httpx.post(rooms, json={}, headers={"Authorization": f"token {pat_token}"})
    assert refused.status_code == 403, refused.text
    message = refused.json()["error"]["message"]
    assert PARTICIPANT in message and FACILITATE_SCOPE in message and "facilitators" in message
    assert httpx.post(rooms, json={}).status_code == 401

    hub.wait_ready(FACILITATOR, fran_token)
    hub.wait_ready(PARTICIPANT, pat_token)
    facilitator = Kernel(hub, FACILITATOR, fran_token)
    participant = Kernel(hub, PARTICIPANT, pat_token)

    # The facilitator's notebook: no code, no key; the hub token makes it the facilitator.
    room = facilitator.json(
        """
        import json, peerkit
        session = peerkit.connect()
        question = session.question("housing-call")
        session.act(question.id, "open")
        print(json.dumps({"role": session.role, "code": session.room,
                          "join_url": session.join_url, "question": question.id}))
        """
    )
    assert room["role"] == "facilitator"
    code = room["code"]
    assert room["join_url"] == f"{hub.url}{PREFIX}/join/{code}"
    saved = facilitator.json(
        """
        import json, os, stat
        path = peerkit.client.data_home() / "hub-room.json"
        print(json.dumps({"home": str(path), "mode": stat.S_IMODE(os.stat(path).st_mode),
                          "again": peerkit.connect().room}))
        """
    )
    assert saved["home"].startswith(str(hub.tmp / "home" / FACILITATOR))
    assert (saved["mode"], saved["again"]) == (0o600, code)  # kept, and resumed

    # The participant's notebook: without a code it asks for one; with it, it answers.
    answer = participant.json(
        f"""
        import json, peerkit
        try:
            peerkit.connect()
        except ValueError as exc:
            asked = str(exc)
        session = peerkit.connect({code.lower()!r})
        question = session.question("housing-call")
        print(json.dumps({{"asked": asked, "role": session.role,
                           "answer": session.respond(question.id, "a")}}))
        """
    )
    assert "type the room code" in answer["asked"]
    assert (answer["role"], answer["answer"]) == ("participant", "a")

    tally = facilitator.json(
        f"""
        print(json.dumps(session.results({room["question"]}).tally.as_dict()))
        """
    )
    assert tally["answered"] == 1 and tally["counts"]["a"] == 1

    # A phone: the participant page through the proxy, under the service's path.
    page = httpx.get(f"{hub.url}{PREFIX}/join/{code}")
    assert page.status_code == 200 and 'src="../static/app.js"' in page.text
    assert httpx.get(f"{hub.url}{PREFIX}/static/app.js").status_code == 200

    # A facilitator's browser: signed in at the hub, through OAuth to the facilitator page.
    first = fran.get(f"{PREFIX}/facilitate")
    assert first.status_code == 302 and "/hub/api/oauth2/authorize" in first.headers["Location"]
    form = fran.get(f"{PREFIX}/facilitate", follow_redirects=True)
    assert form.status_code == 200, form.text
    assert str(form.url) == f"{hub.url}{PREFIX}/facilitate"
    assert f"Signed in to the hub as {FACILITATOR}" in form.text
    assert "script" not in form.text.lower()
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form.text)
    assert xsrf
    started_room = fran.post(
        f"{PREFIX}/facilitate", data={"_xsrf": xsrf.group(1), "title": "Tuesday group"}
    )
    assert started_room.status_code == 200, started_room.text
    new_code = re.search(r'<span class="big-code">([A-Z0-9]{6})</span>', started_room.text)
    assert new_code and new_code.group(1) != code
    assert f"{hub.url}{PREFIX}/join/{new_code.group(1)}" in started_room.text
    forged = fran.post(f"{PREFIX}/facilitate", data={"title": "No xsrf"})
    assert forged.status_code == 403 and "form had expired" in forged.text

    # The room's screen: by the presenter link on that page, or by a facilitator's hub sign-in.
    screen_code = new_code.group(1)
    screen_api = f"{PREFIX}/api/v1/rooms/{screen_code}/screen"
    link = re.search(r'href="([^"]+)" target="_blank"', started_room.text)
    assert link and link.group(1).startswith(f"{hub.url}{PREFIX}/present/{screen_code}#token=")
    token = {"Authorization": f"Bearer {link.group(1).split('#token=')[1]}"}
    assert httpx.get(hub.url + screen_api, headers=token).json()["room"] == screen_code
    signed_in = fran.get(f"{PREFIX}/present/{screen_code}/signin", follow_redirects=True)
    assert signed_in.status_code == 200 and signed_in.url.path == f"{PREFIX}/present/{screen_code}"
    assert fran.get(screen_api).json()["room"] == screen_code
    no_one = httpx.get(hub.url + screen_api)
    assert (no_one.status_code, no_one.json()["error"]["code"]) == (401, "hub_signin")

    # A participant's browser: signed in, but not a facilitator.
    refused_page = pat.get(f"{PREFIX}/facilitate", follow_redirects=True)
    assert refused_page.status_code == 403
    assert FACILITATE_SCOPE in refused_page.text and "facilitators" in refused_page.text
    assert pat.get(screen_api).status_code == 403  # signed in, but not a facilitator

    # Nobody signed in: sent to the hub's sign-in page.
    anonymous = hub.browser().get(f"{PREFIX}/facilitate", follow_redirects=True)
    assert anonymous.status_code == 200 and anonymous.url.path == "/hub/login"
    print(f"hub workshop flow took {time.monotonic() - started:.1f} s")


def test_the_deploy_guide_shows_the_example_config_verbatim() -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text()
    marker = "<!-- docs/jupyterhub_config.py, verbatim"
    assert marker in guide
    block = re.search(r"```python\n(.*?)```", guide[guide.index(marker) :], re.DOTALL)
    assert block and block.group(1) == EXAMPLE.read_text()


def test_serve_as_a_hub_service_needs_the_hubs_variables(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTERHUB_")}
    env["JUPYTERHUB_SERVICE_NAME"] = "peerkit"
    done = subprocess.run(
        [sys.executable, "-m", "peerkit", "serve", "--port", "0", "--db", str(tmp_path / "x.db")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "JUPYTERHUB_API_TOKEN" in done.stderr and "c.JupyterHub.services" in done.stderr
