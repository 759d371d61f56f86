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
import re
from typing import TYPE_CHECKING

from knowledge_graph import MASTERY_THRESHOLD, LessonStatus
from lex_bot.lesson_app.answers import (
    DIALOG_POLICY,
    asks_whether,
    corrected,
    is_negated,
    is_skip,
    only_intends,
    score_said,
)
from lex_bot.lesson_app.lesson_slots import (
    count_failed_attempt,
    filled_slot,
    score_slot,
    slot_text,
    yes_no_choices,
)
from lex_bot.lesson_app.lists import some
from lex_bot.lesson_app.offers import THRESHOLD_PERCENT, offer_for, percent
from lex_bot.lesson_app.recommendation_text import recommendation_line
from lex_bot.lesson_app.spoken_numbers import with_digits
from lex_bot.lesson_app.turn import LessonTurn
from lex_bot.lexv2.events import ConfirmationState, Slot
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


_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?")
#: "8/10", "8 out of 10", "8 of 10", "8 de 10", "8 sobre 10": a score given as a fraction.
_OUT_OF = r"\s*(?:/|out\s+of|of|de|sobre)\s*([0-9]+(?:[.,][0-9]+)?)(?![\w.,]*[0-9])"


def parse_score(text: str | None, transcript: str | None = None) -> float | None:
    """A mastery in [0, 1] from a score slot; ``None`` if unusable.

    The one rule: a score is a percentage from 0 to 100, written as a plain number ("85",
    "85%", "59.5", "59,5"). "1", "1.0" and "1.5" are 1%, 1% and 1.5%; "0.5" is 0.5%, never
    50% (a fraction below 1 is not read as a share, so "1.0" and "1" never differ).
    Anything else ("1e2", "NaN", "١٠٠", "-5", "150") is unusable.

    ``transcript`` (what the learner said) settles what the number alone cannot: "8/10",
    "30 out of 50" or "30 de 50" around the slot's number make it a fraction (80%, 60%), and
    a minus sign before it ("-5", which a number slot may hear as 5) makes it unusable.

    Example:
        >>> parse_score("85"), parse_score("1"), parse_score("1.0"), parse_score("0.5")
        (0.85, 0.01, 0.01, 0.005)
        >>> parse_score("150"), parse_score("1e2"), parse_score("-5")
        (None, None, None)
        >>> parse_score("8", "I got 8/10 on loops"), parse_score("30", "saqué 30 de 50")
        (0.8, 0.6)
        >>> parse_score("5", "I got -5 on loops")
        >>> parse_score("8", "saqué ocho de diez en booleanos")
        0.8
    """
    if text is None:
        return None
    number = text.strip().rstrip("%").strip()
    if not _PLAIN_NUMBER.fullmatch(number):
        return None
    value = float(number.replace(",", "."))
    heard = with_digits(transcript or "").replace(",", ".")  # "ocho de diez": 8 de 10
    said = re.escape(number.replace(",", "."))
    if heard and re.search(rf"(?<![\w.])-\s*{said}(?![\w.]*[0-9])", heard):
        return None
    fraction = heard and re.search(rf"(?<![\w.]){said}{_OUT_OF}", heard, re.IGNORECASE)
    if fraction:
        total = float(fraction.group(1))
        if total <= 0 or value > total:
            return None
        value = round(100 * value / total, 6)
    if not math.isfinite(value) or value < 0 or value > 100:
        return None
    return value / 100


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
    pending_score, turn.session.score = turn.session.score, None
    if (
        turn.confirmation_state is ConfirmationState.CONFIRMED
        and slot_text(turn, SCORE) is None
        and pending_score is not None
    ):  # the score given with the question ("8/10"), read when it was asked
        turn.intent.slots[SCORE] = score_slot(pending_score)
    transcript = turn.event.input_transcript
    meant = corrected(transcript, turn.locale)  # "no, I meant hello world"
    if turn.confirmation_state is ConfirmationState.DENIED and meant is not None:
        found = graph.find(meant)
        if found.is_confident and found.best is not None:  # that lesson, asked afresh
            turn.intent.slots[SLOT] = filled_slot(graph.lesson(found.best.lesson_id))
            turn.intent.confirmation_state = ConfirmationState.NONE
    if (
        turn.confirmation_state is ConfirmationState.NONE
        and turn.session.asked != f"{turn.intent.name}.{SCORE}"
        and meant is None
        and is_negated(transcript, turn.locale)
    ):  # "I didn't finish hello world", "not hello world": nothing to record
        return turn.close(turn.reply(t("complete.locked_declined")))
    if turn.confirmation_state is ConfirmationState.NONE and (
        asks_whether(turn.event.input_transcript, turn.locale)
        or only_intends(turn.event.input_transcript, turn.locale)
    ):  # "did I finish X?", "I almost finished X": answered, nothing recorded
        return _not_a_completion(turn)
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
        score_slots = _keep_score(turn, mastery)

        def ask(t: Messages) -> str:
            missing = _titles(turn, t, list(before.to_finish))
            if mastery is None:
                return t("complete.locked_confirm", title=t.title(lesson), missing=missing)
            return t(
                "complete.locked_confirm_score",
                title=t.title(lesson),
                missing=missing,
                score=percent(mastery, t.locale),
            )

        return turn.confirm_intent(
            turn.reply(ask(t), yes_no_choices(t), voice_text=ask, keys=True),
            slots={**turn.intent.slots, **score_slots} if score_slots else None,
        )
    if partial:
        turn.session.choices = [lesson.id]  # for a key press answering the question
        score_slots = _keep_score(turn, mastery)

        def confirm(t: Messages) -> str:
            if mastery is None:
                return t("complete.confirm", title=t.title(lesson))
            score = percent(mastery, t.locale)
            return t("complete.confirm_score", title=t.title(lesson), score=score)

        return turn.confirm_intent(
            turn.reply(
                confirm(t),
                yes_no_choices(t),
                voice_text=confirm,
                keys=True,
            ),
            slots={**turn.intent.slots, **score_slots, SLOT: filled_slot(lesson)},
        )
    given = 1.0 if mastery is None else mastery
    result = turn.store.complete_lesson(turn.learner_id, lesson.id, given)
    progress = result.progress
    if progress.current_lesson == lesson.id:
        # Finished, so no longer under way: a later "I got 50" is asked about, never
        # taken as this lesson's score.
        progress = turn.store.set_current_lesson(turn.learner_id, None)
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
                said = t("complete.better", title=title, score=percent(given, t.locale))
            else:
                said = t("complete.again", title=title)
        elif given < MASTERY_THRESHOLD:
            best = prior.get(lesson.id, 0.0)
            said = t(
                "complete.low_score" if given >= best else "complete.low_kept",
                title=title,
                score=percent(given, t.locale),
                best=percent(best, t.locale),
                threshold=THRESHOLD_PERCENT,
            )
            if opens:
                unlocked = t("complete.would_unlock", titles=_titles(turn, t, opens))
            if after.can_start:  # a retake; else the first lesson of the path to it, named
                next_step = t("complete.retry")
            elif after.first_step is not None:
                first = t.title(graph.lesson(after.first_step))
                next_step = t("complete.first_step", first=first)
            else:
                next_step = ""
            return t.sentences(said, unlocked, next_step)
        elif was is LessonStatus.ATTEMPTED:
            said = t(
                "complete.mastered_retake",
                title=title,
                score=percent(given, t.locale),
                done=mastered,
                lessons=count,
            )
        else:
            said = t("complete.ok", title=title, done=mastered, lessons=count)
        if opens and was is not LessonStatus.MASTERED:
            unlocked = t("complete.unlocked", titles=_titles(turn, t, opens))
        return t.sentences(t("complete.score_skipped") if note else "", said, unlocked)

    if was is not LessonStatus.MASTERED and given < MASTERY_THRESHOLD:
        offer = [offer_for(t, graph, after, progress.mastery())]
        return turn.close(turn.reply(head(t), offer, voice_text=head))
    return _with_next_lessons(turn, head, progress)


def _not_a_completion(turn: LessonTurn) -> LexResponse:
    """A question about a lesson ("did I finish X?") answered from the learner's record, or
    a lesson only meant or nearly done ("I almost finished X"): nothing is recorded, and the
    lesson's one true offer is made (``offers.offer_for``)."""
    turn.state["answer_now"] = True  # answered in the dialog code hook, never delegated
    current = turn.progress.current_lesson
    if slot_text(turn, SLOT) is None:
        if not current or current not in turn.graph:
            # No lesson named: nothing to look up, and a name said next must not complete it
            return turn.close(turn.reply(turn.t("complete.nothing_named")))
        turn.intent.slots[SLOT] = filled_slot(turn.graph.lesson(current))  # "... it"
    lesson = turn.lesson_from_slot(SLOT, prompt_key="prompt.lesson_name")
    state = turn.lesson_state(lesson.id)
    asked = asks_whether(turn.event.input_transcript, turn.locale)

    def answer(t: Messages) -> str:
        first = ""  # a locked lesson's offer is the path's first step: named too
        if not state.can_start and state.first_step is not None:
            first = t("complete.first_step", first=t.title(turn.graph.lesson(state.first_step)))
        return t.sentences(said(t), first)

    def said(t: Messages) -> str:
        title = t.title(lesson)
        if not asked:
            return t("complete.not_yet_said", title=title)
        if state.status is LessonStatus.MASTERED:
            return t("complete.asked_mastered", title=title, score=percent(state.mastery, t.locale))
        if state.status is LessonStatus.ATTEMPTED:
            score = percent(state.mastery, t.locale)
            return t(
                "complete.asked_attempted", title=title, score=score, threshold=THRESHOLD_PERCENT
            )
        return t("complete.asked_not_yet", title=title)

    offer = [offer_for(turn.t, turn.graph, state, turn.progress.mastery())]
    return turn.close(turn.reply(answer(turn.t), offer, voice_text=answer))


def _score_beside_lesson(turn: LessonTurn) -> str | None:
    """The score the transcript says next to the lesson's name, if any (a number that is
    part of the name, "Python 3", is not one)."""
    said = score_said(turn.event.input_transcript, turn.locale)
    name = slot_text(turn, SLOT) or ""
    if said is None or re.search(rf"(?<![\d.,]){re.escape(said)}(?![\d.,])", name):
        return None
    turn.intent.slots[SCORE] = score_slot(said)
    return said


def _keep_score(turn: LessonTurn, mastery: float | None) -> dict[str, Slot]:
    """Before a yes/no question: the score read from THIS turn ("8/10" is 80 only with its
    transcript) kept as a plain percentage, in the question's slots and in the session (a key
    press or "more" brings the intent back without slots)."""
    if mastery is None:
        return {}
    percentage = f"{mastery * 100:.6g}"
    turn.session.score = percentage
    return {SCORE: score_slot(percentage)}


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
    if text is None and turn.confirmation_state is ConfirmationState.NONE and not asked_for_score:
        # "I got 40 on the repl" answering "Which lesson?" (Lex fills the asked slot only),
        # "working with csv and json with 40" (the name took the "with"): the score said.
        text = _score_beside_lesson(turn)
    heard = text if text is not None else turn.event.input_transcript
    if text is None and not asked_for_score:
        return None, None
    if is_skip(heard, turn.locale) or (text is not None and is_skip(text, turn.locale)):
        turn.intent.slots[SCORE] = None
        return None, None
    mastery = parse_score(text, turn.event.input_transcript)
    if mastery is not None:
        # Kept as read ("30" of "30 de 50" is 60) for a turn that asks which lesson first.
        turn.intent.slots[SCORE] = score_slot(f"{mastery * 100:.6g}")
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

    def answer(t: Messages) -> str:
        if not recommendations:
            return t.sentences(head(t), t("recommend.all_done", lessons=t.lessons(len(graph))))
        # Titles and minutes: the reasons are one question away ("what should I learn
        # next?"), and the whole answer stays short enough to be heard.
        lines = [recommendation_line(t, graph, r, why=False) for r in recommendations]
        return t.lines(head(t), t.listing(t("complete.next"), lines))

    # Their states after this completion (the turn's cached states are from before it).
    mastery = progress.mastery()
    choices = [offer_for(t, graph, graph.state(r.lesson_id, mastery)) for r in recommendations]
    title = t("recommend.card") if choices else None
    return turn.close(turn.reply(answer(t), choices, title=title, voice_text=answer))
