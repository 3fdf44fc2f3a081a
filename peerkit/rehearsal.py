"""Rehearsal: a simulated group, so a facilitator can practise alone and notebooks run headless.

The simulated participants answer each question as it is opened, drawing from the illustrative
distributions in ``data/examples/``; at the closing "post" scale they lean a little further
towards autonomy-supporting than they did at the opening, as a group often does. Nothing here
touches a real room.
"""

from __future__ import annotations

import asyncio
import random

from .client import LocalSession, QuestionInfo
from .config import environment
from .content import Content, load_content
from .i18n import _, format_number
from .model import PASS, ChoiceQuestion, ScaleQuestion

__all__ = ["RehearsalSession", "rehearse"]


class RehearsalSession(LocalSession):
    """A local facilitator session whose room fills with ``n`` simulated participants."""

    def __init__(
        self,
        n: int = 25,
        *,
        seed: int | None = None,
        content: Content | None = None,
        trickle: float = 0.0,
        language: str | None = None,
    ) -> None:
        """``language``: the rehearsal room's, by default ``$PEERKIT_LANGUAGE`` or else the
        content's language."""
        if not 1 <= n <= 1000:
            raise ValueError(
                _("a rehearsal group has {low} to {high} simulated participants").format(
                    low=format_number(1), high=format_number(1000)
                )
            )
        super().__init__(
            content=content or load_content(),
            role="facilitator",
            language=language or environment().language,
        )
        self.n = n
        self.trickle = trickle
        self._random = random.Random(seed)
        self._group = [self.store.join(self.room).token for _ in range(n)]
        self._pre: dict[str, float] = {}

    def participant_count(self) -> int:
        return self.n

    def act(self, question_id: int, action: str) -> QuestionInfo:
        info = super().act(question_id, action)
        if action == "open" and not self.store.responses(question_id):
            answers = self.simulated_answers(info)
            if self.trickle > 0 and _loop_running():
                asyncio.get_running_loop().create_task(self._arrive(question_id, answers))
            else:
                self._record(question_id, answers)
        return info

    def _record(self, question_id: int, answers: list[tuple[str, object]]) -> None:
        self.store.respond_many([(question_id, token, answer) for token, answer in answers])
        self._notify()

    async def _arrive(self, question_id: int, answers: list[tuple[str, object]]) -> None:
        """Answers arrive over ``trickle`` seconds, a few at a time, as in a real room."""
        chunk = max(1, len(answers) // 10)
        for start in range(0, len(answers), chunk):
            await asyncio.sleep(self.trickle / 10)
            if self.store.question(question_id).state != "open":
                return
            self._record(question_id, answers[start : start + chunk])

    def simulated_answers(self, info: QuestionInfo) -> list[tuple[str, object]]:
        """One answer per simulated participant; about one in twenty passes."""
        question = info.question
        source = info.source or question.id
        examples = self.content.examples
        picks: list[tuple[str, object]] = []
        for index, token in enumerate(self._group):
            if self._random.random() < 0.05:
                picks.append((token, PASS))
                continue
            if isinstance(question, ChoiceQuestion):
                weights = examples.choices.get(source, {})
                ids = list(question.option_ids)
                counts = [weights.get(i, 1) for i in ids]
                picks.append((token, self._random.choices(ids, counts)[0]))
            elif isinstance(question, ScaleQuestion):
                picks.append((token, self._scale_answer(question, source, info.tag, index)))
            else:
                texts = examples.reflections.get(source) or ()
                picks.append((token, self._random.choice(texts) if texts else PASS))
        return picks

    def _scale_answer(self, question: ScaleQuestion, source: str, tag: str, index: int) -> float:
        pool = self.content.examples.scales.get(source) or question.points
        value = float(self._random.choice(pool))
        key = f"{source}:{index}"
        if tag == "post" and key in self._pre:
            value = self._pre[key] + self._random.choice([-1, 0, 1, 1, 2, 2, 3]) * question.step
        value = min(max(value, question.min), question.max)
        value = question.min + round((value - question.min) / question.step) * question.step
        if tag == "pre":
            self._pre[key] = value
        return value


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def rehearse(n: int = 25, seed: int | None = None, *, trickle: float = 0.0) -> RehearsalSession:
    """A facilitator session on this computer with ``n`` simulated participants.

    Each question the console opens fills with simulated answers (spread over ``trickle``
    seconds when a notebook is running, so the chart moves as in a live room). Use ``seed`` for
    the same answers every run.
    """
    return RehearsalSession(n, seed=seed, trickle=trickle)
