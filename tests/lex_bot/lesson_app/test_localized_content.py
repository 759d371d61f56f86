"""es_US learners get the course in Spanish: no English title, summary or module is left.

The English texts are read from the course YAML by ``tests/course_oracle.py`` (not through
the product's loader), and every reply of every es_US turn of the scripted conversations is
checked against them: a lesson, module or course whose Spanish text went missing (and so
fell back to English) fails the test, naming the turn.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from course_oracle import course_texts
from paths import CONVERSATIONS, ROOT

from lex_bot.devtools.local_chat import LocalLex, run_script
from lex_bot.lesson_app import services as services_module

LESSONS = ROOT / "data" / "lessons"
#: Names that are the same in every language (proper names, Python itself).
PROPER_NAMES = frozenset({"Python", "pytest"})
ES_SCRIPTS = sorted(p for p in CONVERSATIONS.glob("*.txt") if "@locale es_US" in p.read_text())


def english_leaks(reply: str, english: set[str], spanish: set[str]) -> list[str]:
    """The English course texts that appear, as whole words, in ``reply`` (texts that are
    the same in Spanish, and proper names, do not count).

    >>> english_leaks("Empecemos For Loops.", {"For Loops", "Python"}, set())
    ['For Loops']
    >>> english_leaks("Empecemos Bucles for.", {"For Loops"}, {"Bucles for"})
    []
    """
    found = []
    for text in sorted(english - spanish - PROPER_NAMES, key=len, reverse=True):
        if re.search(rf"(?<!\w){re.escape(text)}(?!\w)", reply):
            found.append(text)
    return found


def spanish_replies(script: Path) -> tuple[list[tuple[str, str]], bool]:
    """``(what the learner said, the reply)`` of every es_US turn of ``script``, and whether
    the script passed."""
    lex = LocalLex()
    replies: list[tuple[str, str]] = []
    original = lex.send

    def send(text: str):  # type: ignore[no-untyped-def]
        result = original(text)
        if lex.locale == "es_US":
            replies.append((text, result.reply_text()))
        return result

    lex.send = send  # type: ignore[method-assign]
    ok = run_script(script.read_text(encoding="utf-8"), lex).ok
    return replies, ok


def test_there_is_a_spanish_conversation_for_every_intent() -> None:
    assert CONVERSATIONS / "every_intent_es_US.txt" in ES_SCRIPTS


@pytest.mark.parametrize("script", ES_SCRIPTS, ids=lambda p: p.name)
def test_es_us_replies_leave_no_english_course_text(script: Path) -> None:
    english, spanish = course_texts(LESSONS), course_texts(LESSONS, "es_US")
    replies, ok = spanish_replies(script)
    assert ok and replies
    leaks = [
        (said, leak)
        for said, reply in replies
        for leak in english_leaks(reply, english, spanish)
        if leak not in said  # the learner's own words may be echoed back
    ]
    assert leaks == [], leaks


def test_a_title_that_falls_back_to_english_is_caught(tmp_path: Path) -> None:
    """Without its es_US title, "Installing Python" is shown in English (the fallback),
    and the check names it."""
    folder = tmp_path / "lessons"
    shutil.copytree(LESSONS, folder, ignore=shutil.ignore_patterns(".*"))
    course = folder / "python-intro.yaml"
    text = course.read_text(encoding="utf-8")
    assert "        title: Instalar Python\n" in text
    course.write_text(text.replace("        title: Instalar Python\n", ""), encoding="utf-8")
    from knowledge_graph import GraphLoader
    from lex_bot.lesson_app.progress_store import open_progress_store

    services_module.use_services(
        services_module.Services(
            graph_loader=GraphLoader(str(folder), check_interval=3600),
            store=open_progress_store("memory://"),
        )
    )
    script = "@locale es_US\n@session caida\n> empezar instalar python\n? Empecemos Installing\n"
    lex = LocalLex()
    replies: list[str] = []
    original = lex.send

    def send(text: str):  # type: ignore[no-untyped-def]
        result = original(text)
        replies.append(result.reply_text())
        return result

    lex.send = send  # type: ignore[method-assign]
    assert run_script(script, lex).ok  # the fallback shows the course's own title
    english, spanish = course_texts(folder), course_texts(folder, "es_US")
    assert "Installing Python" in english_leaks(replies[0], english, spanish)


def test_every_lesson_is_found_and_described_by_its_spanish_texts() -> None:
    """For every lesson: asked about by its es_US title (as the oracle reads it from the
    YAML), the bot answers about that lesson with its es_US title, module and summary."""
    from course_oracle import localized_lessons

    from lambda_function import lambda_handler
    from lex_bot.devtools.event_factory import lex_event, slot

    for lesson_id, texts in localized_lessons(LESSONS, "es_US").items():
        event = lex_event(
            "LessonInfo",
            {"LessonName": slot(texts["title"])},
            transcript=f"háblame de {texts['title']}",
            locale="es_US",
            session_id="oraculo-es",
        )
        response = lambda_handler(event, None)
        reply = "\n".join(m.get("content", "") for m in response.get("messages") or [])
        assert reply.startswith(texts["title"]), (lesson_id, reply)
        assert texts["module"] in reply and texts["summary"] in reply, (lesson_id, reply)
