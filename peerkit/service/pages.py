"""The participant page and its static files.

The two pages (``index.html``, ``present.html``) are tornado templates whose words are marked
``{{ _("...") }}`` (Babel reads them with its Jinja2 extractor, which knows the same syntax).
They are filled in the service's own language, so the join form, the headings and the
``<noscript>`` line are translated from the first paint; once a page knows its room, its
script shows the room's language (``GET /api/v1/strings/<language>``).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import tornado.template
import tornado.web

from .. import i18n
from .base import CODE, PAGE_CSP, BaseHandler

STATIC = Path(__file__).parent / "static"
#: The two pages, filled in per request (not served as files).
TEMPLATES = Path(__file__).parent / "templates"
#: Files shared with the notebook's widgets (the chart module and its styles).
SHARED = Path(__file__).parent.parent / "static"


@cache
def _template(name: str) -> tornado.template.Template:
    source = (TEMPLATES / name).read_text(encoding="utf-8")
    return tornado.template.Template(source, name=name, autoescape="xhtml_escape", whitespace="all")


def render_page(handler: BaseHandler, name: str, *, nested: bool) -> None:
    """Send the page ``name`` in the service's language; ``nested``: it is served one level
    below the root (``join/CODE``, ``present/CODE``), so its relative links go one level up."""
    language = handler.service.language
    words = i18n.translator(language)
    page = _template(name).generate(_=words.gettext, lang=i18n.html_lang(language))
    if nested:
        page = page.replace(b'="static/', b'="../static/')
    handler.set_header("Content-Security-Policy", PAGE_CSP)
    handler.set_header("Content-Type", "text/html; charset=utf-8")
    handler.set_header("Cache-Control", "no-cache")
    handler.finish(page)


class PageHandler(BaseHandler):
    def get(self, code: str | None = None) -> None:
        render_page(self, "index.html", nested=code is not None)


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
