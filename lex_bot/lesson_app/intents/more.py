"""ShowMore: "more", "the rest", "next page" continue the last list the bot cut, where it stopped.

Every list cut short (a learning path, a module's lessons, the list of modules, the
candidates for a lesson name, the lessons a sentence named only partly) ends with "…and N
more" and leaves ``session.more`` (``lex_bot.lesson_app.lists``); this intent continues it.
A list of choices continues as the same question (the pending slot asked again, with the
next page of choices), so "the second one" or a key press answers it as before; once every
choice was shown, "more" says so and asks the same question with the last choices; a list
that came with a yes/no question ("…and 4 more. Shall we start it?") ends with the
question asked again, so the "yes" that follows still answers it. Every other
intent forgets the cut list (:func:`forget_finished_lists`), so "more" never continues a
list the learner has left.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lex_bot.lesson_app.intents.browse_modules import module_page, modules_page
from lex_bot.lesson_app.intents.goals import path_page
from lex_bot.lesson_app.intents.known import pending_lessons
from lex_bot.lesson_app.intents.progress import score_line
from lex_bot.lesson_app.lesson_slots import help_reply, offer_lessons, yes_no_choices
from lex_bot.lesson_app.lists import PAGE_CHOICES, SHOW_MORE, continued, cut, with_more
from lex_bot.lesson_app.offers import marked_title, startable_choice
from lex_bot.lesson_app.picks import LAST_OFFERED
from lex_bot.lesson_app.turn import LessonTurn
from lex_bot.lexv2.dialog_policy import CONFIRM_MARK
from lex_bot.lexv2.events import Intent, IntentState
from lex_bot.lexv2.responses import LexResponse
from lex_bot.lexv2.router import Handler, Router, Turn

if TYPE_CHECKING:  # pragma: no cover
    from lex_bot.lesson_app.messages import Messages

router = Router()

INTENT = SHOW_MORE


@router.intent(INTENT)
def show_more(turn: LessonTurn) -> LexResponse:
    found, graph = continued(turn), turn.graph
    asked = turn.session.asked or ""
    confirming = asked[:-1] if asked.endswith(CONFIRM_MARK) else None
    turn.session.more = []
    if found is not None:
        kind, key, offset, ids = found
        if kind == "path" and key in graph:
            return path_page(turn, graph.lesson(key), offset)
        if kind == "module":
            return module_page(turn, key, offset)
        if kind == "modules":
            names = set(key.split("|")) if key else set()
            among = [m for m in graph.modules() if m.key in names]
            return _as_pending(
                turn, "BrowseModules", lambda: modules_page(turn, offset, among=among)
            )
        if kind == "choices":
            asked, _, rest = key.partition(" ")
            message_key, _, heard = rest.partition(" ")
            intent_name, _, slot_name = asked.partition(".")
            if intent_name and slot_name and message_key.startswith("lesson."):
                return offer_lessons(
                    turn,
                    slot_name,
                    message_key,
                    heard,
                    ids,
                    offset,
                    graph,
                    intent=_pending(intent_name),
                )
        if kind in ("lessons", "scores"):
            ids = [i for i in ids if i in graph]
            return _lessons_page(turn, kind, ids, offset, confirming=confirming)
    if confirming is not None:  # nothing left to show: the question still is
        return _ask_again(turn, confirming, turn.t("more.none"), turn.speech("more.none"))
    intent_name, _, slot_name = asked.partition(".")
    if intent_name and slot_name and any(c in graph for c in turn.session.choices):
        # a lesson question whose every choice was shown: asked again with the same choices
        return offer_lessons(
            turn,
            slot_name,
            "lesson.which",
            "",
            turn.session.choices,
            0,
            graph,
            intent=_pending(intent_name),
            lead="more.none",
        )
    return turn.close(help_reply(turn, turn.t("more.none")))


def _pending(name: str) -> Intent:
    return Intent(name=name, state=IntentState.IN_PROGRESS)


def _as_pending(turn: LessonTurn, name: str, answer: object) -> LexResponse:
    """Answer as intent ``name`` (the question the cut list asked is asked again)."""
    state = turn.event.session_state.model_copy(update={"intent": _pending(name)})
    turn.event = turn.event.model_copy(update={"session_state": state})
    return answer()  # type: ignore[operator]


def _ask_again(turn: LessonTurn, pending: str, text: str, spoken: str) -> LexResponse:
    """``text`` (``spoken`` on voice), then the yes/no question still pending on intent
    ``pending`` asked again (a ConfirmIntent on it, as the first time; its subject is kept in
    the session)."""
    graph = turn.graph

    def question(t: Messages) -> str:
        if pending == "StartLesson" and turn.session.offered_lesson in graph:
            return t("start.again", title=t.title(graph.lesson(turn.session.offered_lesson)))
        choices = turn.session.choices
        if pending == "CompleteLesson" and len(choices) == 1 and choices[0] in graph:
            title = t.title(graph.lesson(choices[0]))
            if turn.session.score is not None:  # the score kept with the question, said again
                return t("complete.confirm_score", title=title, score=turn.session.score)
            return t("complete.confirm", title=title)
        stage, ids, _ = pending_lessons(turn.session.known, graph)
        if pending == "AlreadyKnow" and ids:
            titles = [t.title(graph.lesson(i)) for i in ids]
            if stage == "implied":  # the list just shown (and the page before): counted
                return t.plural("known.offer_implied_ask", len(titles))
            return t.plural("known.confirm", len(titles), titles=t.join(titles))
        if pending == "ResetProgress":
            return t("reset.confirm")
        if pending == "RecommendNextLesson":
            return t("greeting.again")
        return t("more.yes_or_no")

    s = turn.speech
    return turn.confirm_intent(
        turn.reply(
            f"{text}\n{question(turn.t)}",
            yes_no_choices(turn.t),
            voice_text=s.sentences(spoken, question(s)),
            keys=True,
        ),
        intent=_pending(pending),
    )


def _lessons_page(
    turn: LessonTurn, kind: str, ids: list[str], offset: int, *, confirming: str | None = None
) -> LexResponse:
    """The rest of a list of lessons a sentence named partly: each with what is true of it
    now (mastered, attempted; or its score, for ``scores``), and Start buttons for those
    that can be started. When the list came with a yes/no question (``confirming``, the
    pending intent), the page ends with that question asked again, and its buttons are
    Yes and No."""
    t, graph = turn.t, turn.graph
    page = cut(turn, ids, offset, PAGE_CHOICES, kind, "", ids=ids)
    states = [turn.lesson_state(i, with_path=False) for i in page.items]
    choices = [c for state in states if (c := startable_choice(t, graph, state))]

    def answer(t: Messages) -> str:
        if kind == "scores":
            lines = [score_line(turn, i, t) for i in page.items]
        else:
            lines = [marked_title(t, graph, state) for state in states]
        return with_more(t, t.listing(t("more.head"), lines), page)

    if confirming is not None:
        return _ask_again(turn, confirming, answer(t), answer(turn.speech))
    return turn.close(turn.reply(answer(t), choices, voice_text=answer))


def forget_finished_lists(turn: Turn[object], call_next: Handler) -> LexResponse:
    """Middleware: a turn of any other intent ends the list "more" would continue, and the
    buttons "the second one" may pick (FallbackIntent reads them, ``picks``) are only those
    of the turn just before."""
    if turn.intent_name != INTENT:
        turn.session.more = []  # type: ignore[attr-defined]
    if turn.intent_name != "FallbackIntent":
        # "start it" right after a lone offer still reads it (``picks.sole_offer``).
        turn.state[LAST_OFFERED] = list(turn.session.offered)  # type: ignore[attr-defined]
        turn.session.offered = []  # type: ignore[attr-defined]
    return call_next(turn)
