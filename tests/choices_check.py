"""Text and card name the same choices: the rule, shared by the conversation and oracle tests.

For a text reply with a card: every button's subject (the lesson of "Start X", "I finished X",
"Review X", "Retake X"; else the label) is named in the text, Yes/No excepted (they answer the
question the text asks); and when the reply asks a question (ElicitSlot), every lesson or
module the text names is a button (the text offers no choice the card lacks).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from knowledge_graph.text import fold_text
from lex_bot.devtools.local_chat import message_text
from lex_bot.lesson_app.messages import messages_for


def subject(label: str, locale: str) -> str:
    """What a button names: the lesson of "Start X", "I finished X", "Review X"; else its label."""
    t = messages_for(locale)
    for action in ("start", "done", "review", "retake"):
        head, _, tail = t(f"button.{action}", title="\x00").partition("\x00")
        found = re.fullmatch(re.escape(head) + "(.+)" + re.escape(tail), label)
        if found:
            return found.group(1)
    return label


@cache
def _names() -> frozenset[str]:
    from lex_bot.lesson_app.services import get_services

    graph = get_services().graph()
    titles = {fold_text(lesson.title) for lesson in graph.lessons()}
    return frozenset(titles | {fold_text(m.name) for m in graph.modules()})


def mismatches(
    messages: Sequence[Mapping[str, Any]], dialog_action: str | None, locale: str
) -> list[str]:
    """What breaks the rule in one reply (empty when text and card agree)."""
    buttons: Iterable[Mapping[str, str]] = [
        b
        for m in messages
        if m.get("contentType") == "ImageResponseCard"
        for b in (m.get("imageResponseCard") or {}).get("buttons") or []
    ]
    labels = [str(b.get("text", "")) for b in buttons]
    if not labels:
        return []
    said = " ".join(fold_text(message_text(m)) for m in messages)
    t = messages_for(locale)
    answers = {fold_text(t("button.yes")), fold_text(t("button.no"))}
    subjects = {fold_text(subject(label, locale)) for label in labels}
    problems = [f"button {s!r} not named" for s in sorted(subjects - answers) if s not in said]
    if dialog_action == "ElicitSlot":
        # a name inside a button's own title ("Objects" in "Classes and Objects") is that
        # button's, not a choice of its own
        rest = f" {said} "
        for title in sorted(subjects, key=len, reverse=True):
            rest = rest.replace(f" {title} ", " | ")
        named = {n for n in _names() if f" {n} " in rest}
        problems += [f"{n!r} named, no button" for n in sorted(named - subjects)]
    return problems
