"""The spoken form of answers: language marks, escaping, speakable text, the content type."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from lambda_function import lambda_handler
from lex_bot.devtools.event_factory import lex_event, slot
from lex_bot.devtools.speech_lint import compare_forms, lint_ssml, seconds
from lex_bot.lesson_app.speech import heard, speakable, spoken_for

ENGLISH = SimpleNamespace(title="Loops & <Lists>", title_locale="en_US")


def test_content_in_another_language_is_marked_and_escaped():
    s = spoken_for("es_US")
    said = s("start.ok", title=s.title(ENGLISH), minutes=s.minutes(15))
    assert said == (
        'Empecemos <lang xml:lang="en-US">Loops &amp; &lt;Lists&gt;</lang>. '
        "Dura cerca de 15 minutos."
    )
    assert lint_ssml(f"<speak>{said}</speak>") == []
    # In its own language a title is not marked.
    assert "<lang" not in spoken_for("en_US").title(ENGLISH)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Try the shell (the REPL)!!", "Try the shell, the REPL!"),
        ("Use print() and __init__", "Use print and init"),
        ("See https://docs.python.org/3/ now", "See now"),
        ("• Great 🎉 *work*", "Great work"),
    ],
)
def test_speakable_drops_what_would_be_read_literally(text: str, expected: str):
    assert speakable(text) == expected
    assert lint_ssml(f"<speak>{speakable(text)}</speak>") == []


def test_what_the_learner_said_is_said_back_short_and_plain():
    assert (
        heard("</speak><audio src='x'/> " + "word " * 20)
        == "speak audio src 'x' word word word word"
    )


def test_the_lint_finds_each_fault():
    assert lint_ssml("<speak>ok</speak>") == []
    assert lint_ssml("<p>no speak</p>") == ["the root is <p>, not <speak>"]
    assert "not well-formed" in lint_ssml("<speak>a & b</speak>")[0]
    assert lint_ssml("<speak><emphasis>x</emphasis></speak>")[0].startswith("<emphasis>")
    assert lint_ssml("<speak><lang>x</lang></speak>") == ["<lang> without xml:lang"]
    assert lint_ssml("<speak>see www.example.com</speak>")[0].startswith("reads a URL")
    assert lint_ssml("<speak>party 🎉</speak>") == ["reads an emoji aloud"]
    assert lint_ssml("<speak>&amp;amp; twice</speak>") == ['reads "&amp;" aloud']
    long = "<speak>" + "word " * 76 + "</speak>"
    assert seconds(long) == 30.4 and lint_ssml(long)[0].startswith("takes 30.4 s")


def test_the_comparison_finds_an_item_in_one_form_only():
    names = ["Recursion", "For Loops"]
    assert (
        compare_forms(
            "Start Recursion (30 min).", "<speak>Start Recursion, 30 minutes.</speak>", names
        )
        == []
    )
    assert compare_forms("Recursion needs For Loops.", "<speak>Recursion.</speak>", names) == [
        '"For Loops" is in the text but not spoken'
    ]
    assert compare_forms("Recursion.", "<speak>Recursion, 3 of 5.</speak>", names) == [
        '"3" is spoken but not in the text',
        '"5" is spoken but not in the text',
    ]


def _ask(mode: str, content_type: str | None = None) -> dict:
    event = lex_event(
        "LessonInfo",
        {"LessonName": slot("recursion")},
        input_mode=mode,
        response_content_type=content_type,
    )
    return lambda_handler(event, None)


def test_the_requested_content_type_decides_the_channel():
    kinds = lambda r: [m["contentType"] for m in r["messages"]]  # noqa: E731
    # A typed request that asks for audio gets speech and no card.
    assert kinds(_ask("Text", "audio/mpeg")) == ["SSML"]
    # Spoken input that asks for text gets text and a card.
    assert kinds(_ask("Speech", "text/plain; charset=utf-8")) == ["PlainText", "ImageResponseCard"]
    assert kinds(_ask("Speech")) == ["SSML"]


def test_what_a_lesson_is_about_is_said_on_voice():
    spoken = _ask("Speech")["messages"][0]["content"]
    assert "Functions that call themselves" in spoken
