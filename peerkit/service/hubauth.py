"""Hub sign-in for facilitators, when the poll service runs as a JupyterHub service.

JupyterHub starts the service with ``JUPYTERHUB_API_TOKEN``, ``JUPYTERHUB_API_URL``,
``JUPYTERHUB_CLIENT_ID``, ``JUPYTERHUB_SERVICE_PREFIX`` and ``JUPYTERHUB_OAUTH_CALLBACK_URL`` in
its environment. With them, JupyterHub's own :class:`~jupyterhub.services.auth.HubOAuth` tells
who is asking:

* a notebook on the hub sends its server's token (``Authorization: token ...``), and
* a browser signs in through the hub (OAuth) and then carries the service's cookie.

Only an identity holding :data:`FACILITATE_SCOPE` (a custom scope the hub grants through a role)
may create a room. Nothing else changes: a room's facilitator key and the participants' join
codes and tokens work as without a hub, and no hub user name is stored with a room.
"""

from __future__ import annotations

import html
import logging
import re
import secrets
from typing import Any
from urllib.parse import urlsplit

import segno
import tornado.web
from jupyterhub.services.auth import HubOAuth, HubOAuthCallbackHandler, HubOAuthenticated
from jupyterhub.services.auth import check_scopes as _check_scopes

from .. import i18n
from ..config import missing
from .base import CODE, PAGE_CSP, ApiError, BaseHandler, set_security_headers

log = logging.getLogger(__name__)

#: The permission to create rooms: a JupyterHub custom scope (``c.JupyterHub.custom_scopes``).
FACILITATE_SCOPE = "custom:peerkit:facilitate"
#: What the hub must hand the service, as it does for every service it runs.
REQUIRED_ENVIRONMENT = ("JUPYTERHUB_API_TOKEN", "JUPYTERHUB_API_URL", "JUPYTERHUB_CLIENT_ID")
#: A new room's title when the facilitator leaves it empty (translated where shown).
DEFAULT_TITLE = i18n.N_("Peer support workshop")


class HubFacilitators:
    """Who may create rooms on a hub: identities holding :data:`FACILITATE_SCOPE`."""

    def __init__(self, auth: HubOAuth, *, cookie_secret: bytes | None = None) -> None:
        self.auth = auth
        # Signs the sign-in cookie. A new one at each start: browsers then sign in again,
        # which the hub does without asking while its own session lasts.
        self.cookie_secret = cookie_secret or secrets.token_bytes(32)

    @classmethod
    def from_environment(cls, prefix: str) -> HubFacilitators:
        unset = missing(REQUIRED_ENVIRONMENT)
        if unset:
            raise ValueError(
                f"running as a JupyterHub service needs {', '.join(unset)}, which JupyterHub "
                "sets for the services it starts (c.JupyterHub.services in jupyterhub_config.py)"
            )
        return cls(HubOAuth(base_url=prefix, cache_max_age=60))

    def routes(self, root: str) -> list[tuple]:
        """The facilitator page and the OAuth callback, under the route pattern ``root``."""
        callback = urlsplit(self.auth.oauth_redirect_uri).path
        return [
            (rf"{root}/facilitate", FacilitatePage, {"facilitators": self}),
            (rf"{root}/present/{CODE}/signin", PresenterSignIn, {"facilitators": self}),
            (re.escape(callback), OAuthCallback, {"hub_auth": self.auth}),
        ]

    # -- who is asking -------------------------------------------------------------------------
    async def identify(self, handler: tornado.web.RequestHandler, *, cookie: bool) -> dict | None:
        """The hub's model of the requester (``name``, ``kind``, ``scopes``...), or None.

        A token in the Authorization header always counts; the sign-in cookie only if
        ``cookie`` (the pages, never the JSON API).
        """
        try:
            if cookie:
                return await self.auth.get_user(handler, sync=False)
            token = self.auth.get_token(handler, in_cookie=False)
            if not token:
                return None
            return await self.auth.user_for_token(token, sync=False)
        except tornado.web.HTTPError as exc:  # the hub is down or refused the service itself
            log.warning("JupyterHub could not identify a request: %s", exc.log_message)
            raise ApiError(
                503,
                "hub_unavailable",
                "JupyterHub could not confirm who you are; try again shortly",
            ) from None

    def refusal(self, model: dict) -> str | None:
        """None when ``model`` may create rooms, else the reason, for the person refused."""
        scopes = set(model.get("scopes", []))
        who = f"hub {model.get('kind', 'user')} {model.get('name', '?')}"
        if not _check_scopes({FACILITATE_SCOPE}, scopes):
            return (
                f"{who} may not create rooms: that needs the permission {FACILITATE_SCOPE}, which "
                "a hub administrator grants through a role (in peerkit's example configuration, "
                "by adding the user to the 'facilitators' group)"
            )
        if self.auth.access_scopes and not _check_scopes(self.auth.access_scopes, scopes):
            return (
                f"{who} holds {FACILITATE_SCOPE}, but this token does not give access to the "
                f"service ({', '.join(sorted(self.auth.access_scopes))}); a hub administrator "
                "adds that scope to Spawner.server_token_scopes and to the facilitators' role"
            )
        return None

    async def require_facilitator(self, handler: BaseHandler) -> None:
        """For the JSON API: return if the request's hub token may create rooms, else 401/403."""
        model = await self.identify(handler, cookie=False)
        if model is None:
            raise ApiError(
                401,
                "unauthenticated",
                "creating a room on this hub needs a hub facilitator: send "
                "'Authorization: token <JupyterHub API token>' (peerkit.connect() in a notebook on "
                "the hub does), or start one at the facilitator page",
            )
        reason = self.refusal(model)
        if reason:
            raise ApiError(403, "forbidden", reason)


# --------------------------------------------------------------------------- pages


def page(title: str, body: str, t: i18n.Translator | None = None) -> bytes:
    """A plain page in the participant page's style: no script, so nothing for the CSP to stop.
    ``t`` gives the page's language (default: English)."""
    t = t or i18n.translator(i18n.DEFAULT_LANGUAGE)
    skip = t.gettext("Skip to content")
    return f"""<!doctype html>
<html lang="{_e(i18n.html_lang(t.language))}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>{html.escape(title)} · peerkit</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="static/app.css">
</head>
<body>
<a class="skip" href="#main">{_e(skip)}</a>
<header class="bar"><p class="brand">peerkit</p></header>
<main id="main" tabindex="-1">
{body}
</main>
</body>
</html>
""".encode()


class FacilitatePage(HubOAuthenticated, BaseHandler):  # type: ignore[misc]
    """``<prefix>facilitate``: a signed-in hub facilitator starts a room and sees its code."""

    def initialize(self, facilitators: HubFacilitators) -> None:  # type: ignore[override]
        self.facilitators = facilitators
        self.hub_auth = facilitators.auth

    @property
    def t(self) -> i18n.Translator:
        """The page's words, in the service's language. A page serves one request, so it asks
        for a translator and never sets the process's language."""
        return i18n.translator(self.service.language)

    async def prepare(self) -> None:
        self.set_header("Content-Security-Policy", PAGE_CSP)
        if self.request.method == "POST":
            self.check_xsrf_cookie()  # a form from this page, not from another site
        model = await self.facilitators.identify(self, cookie=True)
        # Set here, so the hub's own checks (XSRF) see who signed in without asking again.
        self.current_user = model
        if model is None:
            self.redirect(self.get_login_url())  # sign in at the hub, then come back here
            return
        reason = self.facilitators.refusal(model)
        if reason:
            title = self.t.gettext("Not a facilitator")
            self._finish_page(403, title, f'<p class="error">{_e(reason)}.</p>')

    def get(self) -> None:
        t = self.t
        name = self.current_user["name"]
        start = _e(t.gettext("Start a room"))
        room_title = _e(t.gettext("Room title"))
        signed_in = t.gettext(
            "Signed in to the hub as {name}. Your name is not kept with the room."
        ).format(name=name)
        self._finish_page(
            200,
            t.gettext("Start a room"),
            f"""<section class="card" aria-labelledby="start-h">
<h1 id="start-h">{start}</h1>
<p class="hint">{_e(signed_in)}</p>
<form method="post" action="facilitate">
{self.xsrf_form_html()}
<label for="title">{room_title}</label>
<input id="title" class="field" name="title" type="text" maxlength="200"
       value="{_e(t.gettext(DEFAULT_TITLE))}" autocomplete="off">
<button type="submit" class="primary">{start}</button>
</form>
</section>""",
        )

    async def post(self) -> None:
        t = self.t
        title = " ".join(self.get_body_argument("title", "").split())[:200] or t.gettext(
            DEFAULT_TITLE
        )
        created = await self.call(self.store.create_room, title, language=self.service.language)
        code, key = created.room.code, created.facilitator_key
        join_url = self.join_url(code)
        presenter_url = self.presenter_url(code, created.presenter_token)
        log.info("a hub facilitator started room %s", code)
        # The sentences are escaped, then their placeholders filled with markup of our own.
        ready = _e(t.gettext("Room {code} is ready")).format(
            code=f'<span class="big-code">{_e(code)}</span>'
        )
        join = _e(
            t.gettext(
                "Participants join at {link}, or type the code {code} in {call} in a notebook "
                "on the hub."
            )
        ).format(
            link=f'<a href="{_e(join_url)}">{_e(join_url)}</a>',
            code=f"<strong>{_e(code)}</strong>",
            call=f'<code>peerkit.connect("{_e(code)}")</code>',
        )
        qr_alt = t.gettext("QR code for {url}").format(url=join_url)
        projector = _e(
            t.gettext(
                "For the projector, the room's screen: {link}open the presenter display{end} "
                "(it shows only what the whole room may see)."
            )
        ).format(link=f'<a href="{_e(presenter_url)}" target="_blank" rel="noopener">', end="</a>")
        key_heading = t.gettext("The facilitator key")
        key_note = t.gettext(
            "This key is shown once. Keep it to run this room's workshop notebooks as its "
            "facilitator:"
        )
        own_room = _e(
            t.gettext(
                "A notebook on the hub that calls {call} without a code starts (and afterwards "
                "resumes) a room of its own instead."
            )
        ).format(call="<code>peerkit.connect()</code>")
        another = t.gettext("Start another room")
        self._finish_page(
            200,
            t.gettext("Room {code}").format(code=code),
            f"""<section class="card" aria-labelledby="room-h">
<h1 id="room-h">{ready}</h1>
<p>{_e(title)}</p>
<p>{join}</p>
<p><img class="qr" src="{_qr(join_url)}" alt="{_e(qr_alt)}"></p>
<p>{projector}</p>
</section>
<section class="card" aria-labelledby="key-h">
<h2 id="key-h">{_e(key_heading)}</h2>
<p>{_e(key_note)}</p>
<p><code>peerkit.connect("{_e(code)}", facilitator_key="{_e(key)}")</code></p>
<p class="hint">{own_room}</p>
</section>
<p><a href="facilitate">{_e(another)}</a></p>""",
        )

    def _finish_page(self, status: int, title: str, body: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(page(title, body, self.t))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, ApiError):
            message = exc.message
        elif isinstance(exc, tornado.web.HTTPError) and exc.log_message:
            message = exc.log_message % exc.args if exc.args else exc.log_message
        else:
            message = self.t.gettext("the poll service hit a problem; please try again")
        if status_code == 403 and "xsrf" in message.lower():
            message = self.t.gettext(
                "the form had expired; open the facilitator page again and resubmit"
            )
        back = self.t.gettext("Back")
        self._finish_page(
            status_code,
            self.t.gettext("Something went wrong"),
            f'<p class="error">{_e(message)}.</p><p><a href="facilitate">{_e(back)}</a></p>',
        )


class PresenterSignIn(HubOAuthenticated, BaseHandler):  # type: ignore[misc]
    """``<prefix>present/<CODE>/signin``: a hub facilitator signs in, then sees the room's
    screen without its presenter link (the display asks the API with the sign-in cookie)."""

    def initialize(self, facilitators: HubFacilitators) -> None:  # type: ignore[override]
        self.facilitators = facilitators
        self.hub_auth = facilitators.auth

    async def get(self, code: str) -> None:
        model = await self.facilitators.identify(self, cookie=True)
        if model is None:
            self.redirect(self.get_login_url())  # sign in at the hub, then come back here
            return
        self.redirect(f"{self.service.prefix}present/{code.upper()}")


class OAuthCallback(HubOAuthCallbackHandler):
    """Where the hub sends a browser back after sign-in; sets the service's cookie."""

    def initialize(self, hub_auth: HubOAuth) -> None:
        self.hub_auth = hub_auth

    def set_default_headers(self) -> None:
        set_security_headers(self)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _qr(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=6, border=2)
