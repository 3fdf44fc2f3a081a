"""Which questions a module runs, in order: plain data for the console (and any other view)."""

from __future__ import annotations

from dataclasses import dataclass

from .content import Content
from .i18n import _

__all__ = ["AgendaItem", "module_questions"]

#: A reflection prompt is listed by its first words, up to this many characters.
PROMPT_CHARS = 60


@dataclass(frozen=True)
class AgendaItem:
    """One question a module runs: what the console lists, and the room's key for it."""

    label: str
    content_id: str
    tag: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.content_id, self.tag)


def _shortened(words: str, limit: int = PROMPT_CHARS) -> str:
    """``words`` cut at the last whole word within ``limit`` characters, with an ellipsis to show
    that more follows."""
    if len(words) <= limit:
        return words
    cut = words[:limit].rsplit(" ", 1)[0].rstrip(" ,;:")
    return cut + "…"


def module_questions(content: Content, module_id: str) -> list[AgendaItem]:
    """The module's scenarios, then (for the opening and closing modules) the pre/post scale
    asked at the start or end of the workshop, then its sliders and reflection prompts."""
    kind = content.module(module_id).kind
    items = [
        AgendaItem(_("Scenario: {title}").format(title=s.question.title), s.id)
        for s in content.scenarios_for(module_id)
    ]
    if kind in ("opening", "closing"):
        scale = content.pre_post_scale
        if kind == "opening":
            label, tag = _("Slider: {title} (start of workshop)"), "pre"
        else:
            label, tag = _("Slider: {title} (end of workshop)"), "post"
        items.append(AgendaItem(label.format(title=scale.question.title), scale.id, tag))
    items += [
        AgendaItem(_("Slider: {title}").format(title=s.question.title), s.id)
        for s in content.scales_for(module_id)
    ]
    items += [
        AgendaItem(_("Reflection: {prompt}").format(prompt=_shortened(p.question.prompt)), p.id)
        for p in content.prompts_for(module_id)
    ]
    return items
