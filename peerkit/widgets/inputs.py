"""Keyboard-safe answer controls (anywidgets): a radio group and a slider.

Composed ipywidgets cannot keep their keys: in JupyterLab, ArrowDown on a radio button moves to
the next cell, and "a", "b" or "d d" insert or delete cells. These controls are native inputs
with visible labels that keep every key but Tab, and send "submit" when Enter is pressed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anywidget
import traitlets

from .common import STATIC


def _module(name: str) -> str:
    """An answer control's ES module with the shared key handling inlined (anywidget loads one
    module per widget, so it cannot import a sibling file)."""
    keys = (STATIC / "keys.js").read_text(encoding="utf-8")
    body = (STATIC / name).read_text(encoding="utf-8")
    return keys + "\n" + body.replace('import { keepKeys } from "./keys.js";\n', "")


class _Input(anywidget.AnyWidget):
    _css = STATIC / "answers.css"
    description = traitlets.Unicode("", help="The control's visible, accessible name.").tag(
        sync=True
    )
    disabled = traitlets.Bool(False).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._on_submit: list[Callable[[], None]] = []
        self.on_msg(self._message)

    def on_submit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` when the person presses Enter in the control."""
        self._on_submit.append(callback)

    def _message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and content.get("event") == "submit" and not self.disabled:
            for callback in self._on_submit:
                callback()


class ChoiceInput(_Input):
    """One choice from a list, as radio buttons in a named group."""

    _esm = _module("choice.js")
    options = traitlets.List(help="(label, value) pairs, in order.").tag(sync=True)
    value = traitlets.Unicode(None, allow_none=True, help="The chosen value, if any.").tag(
        sync=True
    )

    @traitlets.validate("value")
    def _known(self, proposal: dict) -> str | None:
        value = proposal["value"]
        if value is not None and value not in [v for _, v in self.options]:
            raise traitlets.TraitError(f"{value!r} is not one of the options")
        return value


class SliderInput(_Input):
    """A number between two labelled poles, with words for the current position."""

    _esm = _module("slider.js")
    value = traitlets.Float(0).tag(sync=True)
    min = traitlets.Float(0).tag(sync=True)
    max = traitlets.Float(10).tag(sync=True)
    step = traitlets.Float(1).tag(sync=True)
    low = traitlets.Unicode("", help="The low pole, written at the left end.").tag(sync=True)
    high = traitlets.Unicode("", help="The high pole, written at the right end.").tag(sync=True)
    valuetext = traitlets.Unicode("", help="The current position in words.").tag(sync=True)
