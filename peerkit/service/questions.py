"""The API for questions: add and list a room's questions, open/close/reveal/hide/reset,
answer, results (a long-poll for the facilitator's chart) and moderation of reflections."""

from __future__ import annotations

import asyncio

from ..model import ModelError, ScaleQuestion, Tally, question_from_dict
from ..room import act, moderate, results_view
from ..store import QuestionRecord, Room, Store, StoreError, Unauthorized
from .base import CODE, ID, ApiError, BaseHandler, store_error
from .views import facilitator_view, participant_view

#: An ad hoc scale's points; every tally builds a histogram over all of them.
MAX_SCALE_POINTS = 1001


class QuestionsHandler(BaseHandler):
    async def get(self, code: str) -> None:
        await self.require_facilitator(code)
        records = await self.call(self.store.questions, code)
        self.send({"questions": [facilitator_view(r) for r in records]})

    async def post(self, code: str) -> None:
        await self.require_facilitator(code)
        data = self.body()
        tag = data.get("tag", "")
        if not isinstance(tag, str) or len(tag) > 40:
            raise ApiError(400, "bad_request", "'tag' must be text of at most 40 characters")
        source = data.get("content_id")
        if source is not None:
            if not isinstance(source, str):
                raise ApiError(400, "bad_request", "'content_id' must be text")
            if self.content is None:
                raise ApiError(
                    409, "no_content", "this service was started without workshop content"
                )
            try:
                question = self.content.question(source)
            except KeyError:
                raise ApiError(
                    404, "not_found", f"no scenario, scale or prompt has the id {source!r}"
                ) from None
        elif "question" in data:
            try:
                question = question_from_dict(data["question"])
            except ModelError as exc:
                raise ApiError(400, "invalid_question", exc.message) from None
            except (ValueError, ArithmeticError) as exc:  # e.g. an anchor at "middle", 10**400
                raise ApiError(400, "invalid_question", f"malformed question: {exc}") from None
            if isinstance(question, ScaleQuestion) and not (
                (question.max - question.min) / question.step < MAX_SCALE_POINTS
            ):
                raise ApiError(
                    400,
                    "invalid_question",
                    f"a scale may have at most {MAX_SCALE_POINTS} points; "
                    "use a larger 'step' or a narrower range",
                )
        else:
            raise ApiError(400, "bad_request", "send either 'content_id' or an ad hoc 'question'")
        record = await self.call(self.store.add_question, code, question, source=source, tag=tag)
        self.worker.notify(record.room_code)  # the room's change feed reports the new question
        self.send(facilitator_view(record), 201)


class QuestionHandler(BaseHandler):
    async def get(self, question_id: str) -> None:
        record = await self.question_record(question_id)
        role, _ = await self.role(record.room_code)
        self.send(facilitator_view(record) if role == "facilitator" else participant_view(record))


class QuestionActionHandler(BaseHandler):
    async def post(self, question_id: str, action: str) -> None:
        record = await self.question_record(question_id)
        await self.require_facilitator(record.room_code)
        updated = await self.call(act, self.store, record.id, action)
        self.worker.notify(record.room_code)
        self.send(facilitator_view(updated))


class ResponseHandler(BaseHandler):
    async def get(self, question_id: str) -> None:
        record = await self.question_record(question_id)
        token = self.secret()
        participant = await self._participant(record, token)
        answers = await self.call(self.store.answers_by_participant, record.id)
        self.send({"question": record.id, "answer": answers.get(participant)})

    async def put(self, question_id: str) -> None:
        data = self.body()
        if "answer" not in data:
            raise ApiError(400, "bad_request", 'send your answer as {"answer": ...}')
        # No separate look-up of the question on this hot path: the batch write checks that it
        # exists (the same 404 "not_found"), so a response costs one trip to the store thread.
        qid = int(question_id)
        try:
            token = self.secret()
        except ApiError:
            await self.question_record(question_id)  # an unknown question is a 404 before a 401
            raise
        self.limit("responses", token)
        try:
            stored = await self.worker.respond(qid, token, data["answer"])
        except StoreError as exc:
            raise store_error(exc) from None
        self.send(
            {
                "question": qid,
                "answer": stored.answer,
                "moderation": stored.moderation,
                "updated_at": stored.updated_at,
            }
        )

    async def _participant(self, record: QuestionRecord, token: str) -> int:
        try:
            return await self.worker.run(self.store.participant, record.room_code, token)
        except Unauthorized:
            raise ApiError(
                403, "forbidden", "only a participant who joined this room can answer its questions"
            ) from None


class ResultsHandler(BaseHandler):
    async def get(self, question_id: str) -> None:
        after = self.int_argument("after")
        wait = self.wait_seconds()
        record = await self.question_record(question_id)
        role, _ = await self.role(record.room_code)
        deadline = asyncio.get_running_loop().time() + wait
        state = None
        while after is not None:
            # Taken before reading: a change in between is not missed.
            changed = self.worker.changed(record.room_code)
            record, state = await self.call(_results_after, self.store, record.id, after)
            if state is not None or not await self.worker.wait(changed, deadline):
                break
        self.send(await self._results(record, role, state))

    async def _results(
        self, record: QuestionRecord, role: str, state: tuple[Room, Tally] | None = None
    ) -> dict:
        safety = self.content.safety if self.content else None
        view = await self.call(results_view, self.store, record, role, safety, state)
        return view.as_dict()


class ModerationHandler(BaseHandler):
    async def post(self, response_id: str, action: str) -> None:
        store = self.store
        room_code = await self.call(_room_of_response, store, int(response_id))
        await self.require_facilitator(room_code)
        safety = self.content.safety if self.content else None
        updated = await self.call(moderate, store, safety, int(response_id), action == "approve")
        self.worker.notify(room_code)
        self.send({"id": updated.id, "moderation": updated.moderation})


# -- on the store thread: several store calls in one trip there (a trip can wait behind a whole
# batch of responses being written, so a busy room answers sooner with fewer)


def _room_and_tally(store: Store, record: QuestionRecord) -> tuple[Room, Tally]:
    return store.room(record.room_code), store.tally(record.id)


def _results_after(
    store: Store, question_id: int, after: int
) -> tuple[QuestionRecord, tuple[Room, Tally] | None]:
    """The question, and its room and tally if its version is past ``after``."""
    record = store.question(question_id)
    return record, (_room_and_tally(store, record) if record.version > after else None)


def _room_of_response(store: Store, response_id: int) -> str:
    return store.question(store.response(response_id).question_id).room_code


#: Routes under the API root (``<prefix>api/v1``).
default_handlers = [
    (rf"/rooms/{CODE}/questions", QuestionsHandler),
    (rf"/questions/{ID}", QuestionHandler),
    (rf"/questions/{ID}/(open|close|reveal|hide|reset)", QuestionActionHandler),
    (rf"/questions/{ID}/response", ResponseHandler),
    (rf"/questions/{ID}/results", ResultsHandler),
    (rf"/responses/{ID}/(approve|reject)", ModerationHandler),
]
