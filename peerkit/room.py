"""The rules of a room, written once for the poll service and for in-process sessions.

The tornado handlers (``peerkit/service``) and :class:`peerkit.client.LocalSession` (self-paced
mode and rehearsals) both call these functions, so solo, rehearsal and live rooms protect
participants in the same way:

* what each facilitator action does to the store (:func:`act`);
* a reflection whose wording the safety list flags can never be approved (:func:`moderate`);
* which reflections each role sees, and when a participant may see a question's results
  (:func:`results_view`) or the before-and-after comparison (:func:`pre_post_view`).

Each function takes the store and runs its calls in one go: the service runs it on its store
thread, a local session in the kernel. Results come back typed (tallies are :mod:`peerkit.model`
objects); they become dicts only where they leave as JSON (``ResultsView.as_dict``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from .content import Safety
from .i18n import _
from .model import PASS, PrePostComparison, Tally, results_visible
from .store import Conflict, QuestionRecord, ResponseRecord, Room, Store, StoreError, Unauthorized

__all__ = [
    "ACTIONS",
    "Flagged",
    "Forbidden",
    "NotRevealed",
    "Reflection",
    "ResultsView",
    "Role",
    "act",
    "moderate",
    "pre_post_view",
    "require_facilitator",
    "results_view",
]

Role = Literal["facilitator", "participant"]

#: What each facilitator action does to the store.
ACTIONS: dict[str, Callable[[Store, int], QuestionRecord]] = {
    "open": lambda store, qid: store.set_state(qid, "open"),
    "close": lambda store, qid: store.set_state(qid, "closed"),
    "reveal": lambda store, qid: store.set_revealed(qid, True),
    "hide": lambda store, qid: store.set_revealed(qid, False),
    "reset": lambda store, qid: store.reset(qid),
}


class Forbidden(Unauthorized):
    """Only the room's facilitator may do this."""

    code = "forbidden"


class Flagged(Conflict):
    """The safety list flags this reflection: it is for the facilitator only, never the group."""

    code = "flagged"


class NotRevealed(Unauthorized):
    """Participants see the before-and-after comparison only once both rounds are revealed."""

    code = "not_revealed"


class UnknownAction(StoreError):
    code = "bad_request"


def require_facilitator(role: str) -> None:
    if role != "facilitator":
        raise Forbidden(_("only this room's facilitator may do that"))


def act(store: Store, question_id: int, action: str) -> QuestionRecord:
    """Facilitator: open, close, reveal, hide or reset a question."""
    try:
        change = ACTIONS[action]
    except KeyError:
        raise UnknownAction(f"unknown action {action!r}") from None
    return change(store, question_id)


def moderate(
    store: Store, safety: Safety | None, response_id: int, approve: bool
) -> ResponseRecord:
    """Facilitator: approve or reject a reflection. A flagged one (by the terms of the room's
    language and English) cannot be approved."""
    if approve and safety is not None:
        response = store.response(response_id)
        room = store.room(store.question(response.question_id).room_code)
        if safety.flags(str(response.answer), room.language):
            raise Flagged(
                _(
                    "this reflection was flagged for the facilitator's private attention and "
                    "cannot be shown to the group"
                )
            )
    return store.moderate(response_id, approve)


@dataclass(frozen=True)
class Reflection:
    """One reflection as its room's facilitator sees it, with the safety terms it contains."""

    id: int
    text: str
    moderation: str | None
    flags: tuple[str, ...]

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "text": self.text,
            "moderation": self.moderation,
            "flags": list(self.flags),
        }


@dataclass(frozen=True)
class ResultsView:
    """A question's results as one role may see them.

    The facilitator always gets the tally and, for a reflection prompt, every reflection with its
    flags. A participant gets the tally, and the approved reflections only, once the facilitator
    has revealed the question and enough people have answered; before that, neither.
    """

    question_id: int
    version: int
    state: str
    revealed: bool
    min_group: int
    visible_to_participants: bool
    tally: Tally | None
    #: Facilitator: every reflection (a reflection prompt only).
    reflections: tuple[Reflection, ...] | None = None
    #: Participant: the approved reflections' texts, oldest first (once visible).
    approved: tuple[str, ...] | None = None

    def as_dict(self) -> dict:
        """The service's JSON for these results."""
        data: dict = {
            "question": self.question_id,
            "version": self.version,
            "state": self.state,
            "revealed": self.revealed,
            "min_group": self.min_group,
            "visible_to_participants": self.visible_to_participants,
        }
        if self.tally is not None:
            data["tally"] = self.tally.as_dict()
        if self.reflections is not None:
            data["reflections"] = [r.as_dict() for r in self.reflections]
        elif self.approved is not None:
            data["reflections"] = list(self.approved)
        return data


def results_view(
    store: Store,
    record: QuestionRecord,
    role: str,
    safety: Safety | None,
    state: tuple[Room, Tally] | None = None,
) -> ResultsView:
    """The results of ``record`` for ``role`` (``state``: its room and tally, if already read).
    Reflections are checked against the safety terms of the room's language and English."""
    room, result = state or (store.room(record.room_code), store.tally(record.id))
    visible = results_visible(result, revealed=record.revealed, min_group=room.min_group)
    text = record.question.kind == "text"
    base = (
        record.id,
        record.version,
        record.state,
        record.revealed,
        room.min_group,
        visible,
    )
    if role == "facilitator":
        reflections = None
        if text:
            reflections = tuple(
                Reflection(
                    r.id,
                    str(r.answer),
                    r.moderation,
                    tuple(safety.flags(str(r.answer), room.language)) if safety else (),
                )
                for r in store.responses(record.id)
                if r.answer != PASS
            )
        return ResultsView(*base, tally=result, reflections=reflections)
    if not visible:
        return ResultsView(*base, tally=None)
    approved = tuple(store.approved_texts(record.id)) if text else None
    return ResultsView(*base, tally=result, approved=approved)


def pre_post_view(
    store: Store, code: str, source: str, role: str
) -> tuple[QuestionRecord, QuestionRecord, PrePostComparison]:
    """How scale ``source`` moved between the room's "pre" and "post" questions: for the
    facilitator always, for participants once both are visible to them."""
    pre, post, comparison = store.pre_post(code, source)
    if role != "facilitator":
        room = store.room(code)
        shown = all(
            results_visible(t, revealed=r.revealed, min_group=room.min_group)
            for r, t in ((pre, comparison.pre), (post, comparison.post))
        )
        if not shown:
            raise NotRevealed(_("the before-and-after results have not been revealed yet"))
    return pre, post, comparison
