"""Small pieces every widget uses: escaped text, headers and a status line (a live region)."""

from __future__ import annotations

import html
from pathlib import Path

import anywidget
import ipywidgets as w
import traitlets

STATIC = Path(__file__).resolve().parent.parent / "static"

ICONS = {"ok": "✓", "error": "⚠", "closed": "■", "info": "ℹ", "wait": "…", "": ""}


def text(value: object) -> str:
    """User or content text, escaped for an HTML widget."""
    return html.escape(str(value))


def header(title: str, body: str = "") -> w.HTML:
    parts = [f"<h3>{text(title)}</h3>"] if title else []
    if body:
        parts.append(f"<p>{text(body)}</p>")
    return w.HTML("".join(parts))


class StatusLine(anywidget.AnyWidget):
    """A one-line message in a live region that exists before its text changes."""

    _esm = STATIC / "status.js"
    text = traitlets.Unicode("", help="The message; empty hides it.").tag(sync=True)
    kind = traitlets.Unicode("", help="ok, error, closed, info or wait.").tag(sync=True)
    icon = traitlets.Unicode("", help="A symbol shown before the message.").tag(sync=True)

    def show(self, kind: str, message: str) -> None:
        with self.hold_sync():
            self.kind, self.icon, self.text = kind, ICONS.get(kind, ""), message

    @property
    def value(self) -> str:
        """The message as shown, with its symbol."""
        return f"{self.icon} {self.text}".strip()


def close_tree(widget: w.Widget) -> None:
    """Close a widget and everything inside it, its layout and style models too (each one
    stops following the room)."""
    for child in getattr(widget, "children", ()):
        close_tree(child)
    for part in (getattr(widget, "layout", None), getattr(widget, "style", None)):
        if isinstance(part, w.Widget):
            part.close()
    widget.close()
