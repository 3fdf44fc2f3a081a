"""The participant page and its static files."""

from __future__ import annotations

from pathlib import Path

import tornado.web

from .base import CODE, PAGE_CSP, BaseHandler

STATIC = Path(__file__).parent / "static"
#: Files shared with the notebook's widgets (the chart module and its styles).
SHARED = Path(__file__).parent.parent / "static"


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


#: Routes under the service's root (its path prefix, without the trailing slash).
default_handlers = [
    (r"/", PageHandler),
    (rf"/join/{CODE}", PageHandler),
    (r"/static/(chart\.js|chart\.css)", StaticHandler, {"path": str(SHARED)}),
    (r"/static/(.*)", StaticHandler, {"path": str(STATIC)}),
]
