"""The words of the phone page and the presenter display, in a room's language.

``GET /api/v1/strings/<language>`` answers :func:`peerkit.i18n.page_catalog`: the translated
messages the pages' scripts look up (an English msgid stands for itself, so English is an
empty catalog). The answer is the same for everyone and changes only with a new release, so
browsers may keep it: it carries an ``ETag`` and a ``Cache-Control`` that lets a phone reuse it
for a while and then revalidate it with a cheap 304.
"""

from __future__ import annotations

import hashlib
import json

from .. import i18n
from .base import ApiError, BaseHandler

#: How long a browser may reuse a catalog before revalidating it (seconds).
MAX_AGE = 600


class StringsHandler(BaseHandler):
    """``GET /api/v1/strings/<language>``: the pages' catalog for ``language`` (``es``,
    ``es-ES``); 404 ``not_found`` for a language peerkit has no catalog for."""

    def get(self, language: str) -> None:
        try:
            language = i18n.check_language(language)
        except i18n.UnknownLanguageError as exc:
            raise ApiError(404, "not_found", str(exc)) from None
        catalog = i18n.page_catalog(language)
        body = json.dumps(catalog, ensure_ascii=False, sort_keys=True).encode("utf-8")
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", f"public, max-age={MAX_AGE}")
        self.set_header("Content-Language", i18n.html_lang(language))
        self.set_header("ETag", etag)
        if self.check_etag_header():
            self.set_status(304)
            self.finish()
            return
        self.finish(body)


#: Routes under the API root.
default_handlers = [(r"/strings/([^/]{1,35})", StringsHandler)]
