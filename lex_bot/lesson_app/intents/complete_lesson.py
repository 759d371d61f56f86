"""CompleteLesson (slots LessonName, optional Score): record a completion, say what is next.

Completing is idempotent: a retried event or a repeated "I finished X" changes nothing the
second time (the store keeps the first timestamp and the best mastery). With no lesson
named, the lesson the learner is currently on is meant. A score (0-100) becomes the mastery.

What the learner hears follows the lesson's state before and after (``turn.lesson_state``):

* mastered now for the first time: congratulations, how many are mastered, and the lessons
  that became startable (a retake that crosses the threshold says so);
* a score below the mastery threshold: "attempted, not yet mastered", the score that masters
  it, what mastering it unlocks, and a Retake button;
* already mastered: nothing changed (or the better best score);
* a locked lesson: the bot asks first ("Mark it finished anyway?"); yes records it, no
  records nothing;
* a negated utterance ("I didn't finish hello world", "not hello world") records nothing.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from knowledge_graph import MASTERY_THRESHOLD, LessonStatus
from lex_bot.lesson_app.answers import DIALOG_POLICY, is_negated, is_skip
from lex_bot.lesson_app.lesson_slots import (
    count_failed_attempt,
    filled_slot,
    slot_text,
    start_choice,
    yes_no_choices,
)
from lex_bot.lesson_app.lists import some
from lex_bot.lesson_app.offers import THRESHOLD_PERCENT, offer_for, percent
from lex_bot.lesson_app.recommendation_text import recommendation_line
from lex_bot.lesson_app.turn import LessonTurn
from lex_bot.lexv2.events import ConfirmationState
from lex_bot.lexv2.responses import LexResponse
from lex_bot.lexv2.router import Router

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable

    from lex_bot.lesson_app.messages import Messages
    from lex_bot.lesson_app.progress_store import LearnerProgress

router = Router()

SLOT = "LessonName"
SCORE = "Score"
TITLES_NAMED = 3


def parse_score(text: str | None) -> float | None:
    """A mastery in [0, 1] from a score slot ("85", "85%", "0.85"); ``None`` if unusable.

    Example:
        >>> parse_score("85")
        0.85
        >>> parse_score("0.85"), parse_score("150")
        (0.85, None)
    """
    if text is None:
        return None
    try:
        value = float(text.strip().rstrip("%").replace(",", "."))
    except ValueError:
        return None
    if not math.isfinite(value) or value < 0 or value > 100:
        return None
    return value if value <= 1 and "." in text else value / 100


def _titles(turn: LessonTurn, t: Messages, ids: list[str]) -> str:
    """The lessons' titles as ``t`` renders them, the first few named, "and N more" kept for
    "more" (``lists``)."""
    titles = [t.title(turn.graph.lesson(i)) for i in ids]
    return some(turn, t, ids, titles, TITLES_NAMED)


@router.intent("CompleteLesson", slots=(SLOT, SCORE), dialog_hook=True)
def complete_lesson(turn: LessonTurn) -> LexResponse:
    graph, t = turn.graph, turn.t
    asked = turn.session.choices
    # A key press answered "Mark it finished anyway?" (the dialog policy confirms by key
    # without the slots): the lesson asked about is the one offered with the question.
    if (
        turn.confirmation_state is not ConfirmationState.NONE
        and slot_text(turn, SLOT) is None
        and len(asked) == 1
        and asked[0] in graph
    ):
        turn.intent.slots[SLOT] = filled_slot(graph.lesson(asked[0]))
    if (
        turn.confirmation_state is ConfirmationState.NONE
        and turn.session.asked != f"{turn.intent.name}.{SCORE}"
        and is_negated(turn.event.input_transcript, turn.locale)
    ):  # "I didn't finish hello world", "not hello world": nothing to record
        return turn.close(turn.reply(t("complete.locked_declined")))
    if turn.is_dialog_hook and slot_text(turn, SLOT) is None:
        current = turn.progress.current_lesson
        if current and current in graph:
            lesson = graph.lesson(current)
            return turn.delegate(slots={**turn.intent.slots, SLOT: filled_slot(lesson)})
    mastery, note = _score(turn)
    if isinstance(mastery, LexResponse):
        return mastery
    if note:
        turn.state["answer_now"] = True  # the note would not survive a Delegate
    answer = turn.confirmation_state
    if answer is ConfirmationState.DENIED:  # "no" to "Mark X as finished (anyway)?"
        return turn.close(turn.reply(t("complete.locked_declined")))
    # An answer to "Which lesson do you mean?" that only contains a lesson name ("tell me
    # about hello world") may be another request: ask before writing progress.
    partial = (
        turn.is_dialog_hook
        and answer is ConfirmationState.NONE
        and turn.session.asked == f"{turn.intent.name}.{SLOT}"
        and not DIALOG_POLICY.is_bare_answer(
            turn.slot(SLOT), turn.event.input_transcript, turn.locale
        )
    )
    if partial:
        turn.state["answer_now"] = True

    lesson = turn.lesson_from_slot(SLOT, prompt_key="prompt.lesson_name")
    before = turn.lesson_state(lesson.id)
    if (
        before.to_finish
        and before.status is not LessonStatus.MASTERED
        and answer is not ConfirmationState.CONFIRMED
    ):
        turn.session.choices = [lesson.id]  # for a key press answering the question

        def ask(t: Messages) -> str:
            missing = _titles(turn, t, list(before.to_finish))
            return t("complete.locked_confirm", title=t.title(lesson), missing=missing)

        return turn.confirm_intent(turn.reply(ask(t), yes_no_choices(t), voice_text=ask, keys=True))
    if partial:
        turn.session.choices = [lesson.id]  # for a key press answering the question
        return turn.confirm_intent(
            turn.reply(
                t("complete.confirm", title=t.title(lesson)),
                yes_no_choices(t),
                voice_text=turn.speech("complete.confirm", title=turn.speech.title(lesson)),
                keys=True,
            ),
            slots={**turn.intent.slots, SLOT: filled_slot(lesson)},
        )
    given = 1.0 if mastery is None else mastery
    result = turn.store.complete_lesson(turn.learner_id, lesson.id, given)
    progress = result.progress
    # What the learner had before this request's first application: a retried or
    # redelivered request is answered as its first application was (the store says whether
    # that application created the completion).
    prior = dict(turn.progress.mastery())
    if result.newly_completed:
        prior.pop(lesson.id, None)
    was = LessonStatus.STARTABLE if result.newly_completed else before.status
    opens = graph.opens(lesson.id, prior)
    mastered = graph.mastered_count(progress.mastery())  # vectorised: tens of thousands at 90 %
    after = graph.state(lesson.id, progress.mastery())

    def head(t: Messages) -> str:
        """What the completion changed, in ``t``'s rendering (text or speech)."""
        title, count = t.title(lesson), t.lessons(len(graph))
        unlocked = ""
        if was is LessonStatus.MASTERED:
            if given > before.mastery:
                said = t("complete.better", title=title, score=percent(given))
            else:
                said = t("complete.again", title=title)
        elif given < MASTERY_THRESHOLD:
            best = percent(max(given, prior.get(lesson.id, 0.0)))
            said = t("complete.low_score", title=title, score=best, threshold=THRESHOLD_PERCENT)
            if opens:
                unlocked = t("complete.would_unlock", titles=_titles(turn, t, opens))
            retry = t("complete.retry") if after.can_start else ""
            return t.sentences(said, unlocked, retry)
        elif was is LessonStatus.ATTEMPTED:
            said = t(
                "complete.mastered_retake",
                title=title,
                score=percent(given),
                done=mastered,
                lessons=count,
            )
        else:
            said = t("complete.ok", title=title, done=mastered, lessons=count)
        if opens and was is not LessonStatus.MASTERED:
            unlocked = t("complete.unlocked", titles=_titles(turn, t, opens))
        return t.sentences(t("complete.score_skipped") if note else "", said, unlocked)

    if was is not LessonStatus.MASTERED and given < MASTERY_THRESHOLD:
        # a retake; else the first lesson of the path to it
        offer = [offer_for(t, graph, after)]
        return turn.close(turn.reply(head(t), offer, voice_text=head))
    return _with_next_lessons(turn, head, progress)


def _score(turn: LessonTurn) -> tuple[float | LexResponse | None, str | None]:
    """The mastery the optional Score slot gives, or the response that asks for it again.

    A score outside 0-100, or an answer that is no number when the bot asked for the score
    (the slot's elicitation code hook brings it here with the slot empty), counts against
    the slot's retry budget like any other slot (``count_failed_attempt``). "Skip" or "no
    score" skips it, and so does a spent budget: the lesson is then recorded without a score,
    and ``note`` says so.
    """
    t = turn.t
    text = slot_text(turn, SCORE)
    asked_for_score = turn.session.asked == f"{turn.intent.name}.{SCORE}"
    heard = text if text is not None else turn.event.input_transcript
    if text is None and not asked_for_score:
        return None, None
    if is_skip(heard, turn.locale) or (text is not None and is_skip(text, turn.locale)):
        turn.intent.slots[SCORE] = None
        return None, None
    mastery = parse_score(text)
    if mastery is not None:
        return mastery, None
    turn.intent.slots[SCORE] = None
    if count_failed_attempt(turn, SCORE):
        return None, t("complete.score_skipped")
    return turn.elicit_slot(SCORE, turn.reply(t("complete.bad_score"))), None


def _with_next_lessons(
    turn: LessonTurn, head: Callable[[Messages], str], progress: LearnerProgress
) -> LexResponse:
    """``head``, then the best next lessons (startable by construction) or "all done"."""
    graph, t = turn.graph, turn.t
    goal = progress.goal if progress.goal in graph else None
    recommendations = graph.recommend(
        progress.mastery(),
        k=3,
        goal=goal,
        recent=progress.recent(),
        transitions=turn.transitions,
    )
    turn.session.last_recommendations = [r.lesson_id for r in recommendations]

    def answer(t: Messages) -> str:
        if not recommendations:
            return t.sentences(head(t), t("recommend.all_done", lessons=t.lessons(len(graph))))
        # Titles and minutes: the reasons are one question away ("what should I learn
        # next?"), and the whole answer stays short enough to be heard.
        lines = [recommendation_line(t, graph, r, why=False) for r in recommendations]
        return t.lines(head(t), t.listing(t("complete.next"), lines))

    choices = [start_choice(t, graph.lesson(r.lesson_id)) for r in recommendations]
    title = t("recommend.card") if choices else None
    return turn.close(turn.reply(answer(t), choices, title=title, voice_text=answer))
