"""The local NLU of the chat: intents from the bot definition's utterances, slots from the graph."""

from __future__ import annotations

import re

import pytest

from lex_bot.devtools.bot_definition import load_bot_definition
from lex_bot.devtools.local_nlu import (
    Confirmation,
    LocalNlu,
    NluResult,
    confirmation_of,
    normalise,
    parse_number,
    tokenize,
)

# Phrasings that are NOT sample utterances (checked below), two per intent and locale.
HELD_OUT = {
    "en_US": {
        "Greeting": ["hello hello", "hi bot, good morning"],
        "RecommendNextLesson": ["what lesson should I do next", "recommend me something to learn"],
        "StartLesson": ["please start for loops", "I'd like to begin recursion"],
        "CompleteLesson": ["I have finished for loops", "just completed recursion"],
        "LessonInfo": ["tell me more about recursion", "what's recursion about"],
        "ShowPrerequisites": [
            "what are the prerequisites for recursion",
            "what do I need to know before classes",
        ],
        "SetLearningGoal": ["I want my goal to be recursion", "please set my goal to classes"],
        "ShowLearningPath": ["show me my path", "what is my learning path"],
        "ShowProgress": ["how am I doing so far", "show me my progress please"],
        "BrowseModules": ["which modules exist", "list all modules"],
        "ResetProgress": ["I want to delete all my progress", "please reset everything"],
        "Help": ["help me please", "what can you do for me"],
        "Goodbye": ["ok bye", "goodbye for now"],
        "ShowMore": ["show me some more", "give me the rest of the list"],
        "AlreadyKnow": ["i already learned variables and strings", "i know how to do loops"],
    },
    "es_US": {
        "Greeting": ["hola, buenos días", "hola hola"],
        "RecommendNextLesson": ["qué lección sigue", "recomiéndame algo para aprender"],
        "StartLesson": ["quiero empezar recursion por favor", "empieza for loops"],
        "CompleteLesson": ["ya terminé for loops", "acabo de terminar recursion"],
        "LessonInfo": ["háblame más de recursion", "de qué se trata recursion"],
        "ShowPrerequisites": [
            "cuáles son los requisitos de recursion",
            "qué necesito saber antes de classes",
        ],
        "SetLearningGoal": ["quiero que mi meta sea recursion", "mi nueva meta es classes"],
        "ShowLearningPath": ["muéstrame mi ruta", "cuál es mi ruta de aprendizaje"],
        "ShowProgress": ["muéstrame mi progreso", "cómo voy hasta ahora"],
        "BrowseModules": ["qué módulos tiene el curso", "lista todos los módulos"],
        "ResetProgress": ["quiero borrar todo mi progreso", "reinicia todo mi progreso"],
        "Help": ["ayúdame por favor", "necesito ayuda por favor"],
        "Goodbye": ["adiós, gracias", "bueno, hasta luego"],
        "ShowMore": ["dame el resto", "la siguiente página"],
        "AlreadyKnow": ["ya me sé variables y strings", "ya sé hacer loops"],
    },
}
SLOT_FILLERS = {"LessonName": "for loops", "GoalLesson": "recursion", "Score": "90",
                "Module": "functions", "KnownLessons": "strings"}  # fmt: skip


@pytest.fixture(scope="module")
def nlus(bundled_graph_loader) -> dict[str, LocalNlu]:
    graph = bundled_graph_loader.get()
    return {loc: LocalNlu.for_graph(graph, loc) for loc in load_bot_definition().locales()}


def test_held_out_phrasings_cover_every_intent_with_utterances():
    definition = load_bot_definition()
    for locale, items in HELD_OUT.items():
        with_utterances = {n for n, i in definition.intents.items() if i.utterances.get(locale)}
        assert set(items) == with_utterances
        samples = {
            normalise(u) for i in definition.intents.values() for u in i.utterances.get(locale, [])
        }
        held = [p for phrases in items.values() for p in phrases]
        assert not [p for p in held if normalise(p) in samples], "held-out must be new phrasings"


@pytest.mark.parametrize(
    ("locale", "intent", "text"),
    [(loc, i, t) for loc, items in HELD_OUT.items() for i, ts in items.items() for t in ts],
)
def test_held_out_phrasing_is_classified(nlus, locale, intent, text):
    result = nlus[locale].interpret(text)
    assert result.intent == intent, [(m.intent, m.confidence) for m in result.interpretations]
    assert 0.4 <= result.confidence <= 1.0


@pytest.mark.parametrize("locale", ["en_US", "es_US"])
def test_every_sample_utterance_with_values_is_its_own_intent(nlus, locale):
    definition = load_bot_definition()
    wrong = []
    for name, intent in definition.intents.items():
        for utterance in intent.utterances.get(locale, []):
            text = re.sub(r"\{(\w+)\}", lambda m: SLOT_FILLERS[m.group(1)], utterance)
            result = nlus[locale].interpret(text)
            if result.intent != name or result.confidence != 1.0:
                wrong.append((utterance, result.intent))
            for slot in re.findall(r"\{(\w+)\}", utterance):
                assert slot in result.slots, (utterance, result.slots)
    assert not wrong


@pytest.mark.parametrize("text", ["xqzv blorp wug", "zzzz", "", "   ", "🙂🙂", "!!!"])
def test_gibberish_and_empty_input_fall_back(nlus, text):
    for nlu in nlus.values():
        result = nlu.interpret(text)
        assert result.intent == "FallbackIntent"
        assert all(m.confidence < nlu.threshold for m in result.interpretations[1:])


def test_alternatives_are_ranked_and_end_with_fallback(nlus):
    result = nlus["en_US"].interpret("what should I learn next")
    assert result.intent == "RecommendNextLesson"
    confidences = [m.confidence for m in result.interpretations[:-1]]
    assert confidences == sorted(confidences, reverse=True)
    assert result.interpretations[-1].intent == "FallbackIntent"
    assert len({m.intent for m in result.interpretations}) == len(result.interpretations)


def test_known_values_and_synonyms_resolve_with_the_learners_spelling(nlus):
    result = nlus["en_US"].interpret("I finished LOOPS with a score of 90")
    assert result.intent == "CompleteLesson"
    lesson, score = result.slots["LessonName"], result.slots["Score"]
    assert (lesson.original, lesson.interpreted, lesson.resolved) == (
        "LOOPS", "For Loops", ("For Loops",),
    )  # fmt: skip
    assert (score.original, score.interpreted) == ("90", "90")
    assert lesson.to_lex()["value"]["interpretedValue"] == "For Loops"


def test_unknown_names_in_an_utterance_slot_pass_through_as_said(nlus):
    result = nlus["en_US"].interpret("I finished Underwater Basket Weaving")
    lesson = result.slots["LessonName"]
    assert result.intent == "CompleteLesson"
    assert lesson.original == lesson.interpreted == "Underwater Basket Weaving"
    assert lesson.resolved == ()


def test_accents_are_ignored_but_kept_in_the_original_value(nlus):
    result = nlus["es_US"].interpret("háblame de Recursion")
    assert result.intent == "LessonInfo"
    assert result.slots["LessonName"].original == "Recursion"
    assert result.slots["LessonName"].interpreted == "Recursión"  # the es_US value


def test_slots_are_found_in_free_phrasings(nlus):
    result = nlus["en_US"].interpret("I scored 85 on while loops")
    assert result.intent == "CompleteLesson"
    assert result.slots["LessonName"].interpreted == "While Loops"
    assert result.slots["Score"].interpreted == "85"
    module = nlus["en_US"].interpret("show module data structures").slots["Module"]
    assert module.interpreted == "Data Structures"


def test_utterances_without_slots_win_over_slotted_ones(nlus):
    # "start over" is ResetProgress, not StartLesson with a lesson called "over".
    result = nlus["en_US"].interpret("start over")
    assert (result.intent, result.slots) == ("ResetProgress", {})


def test_a_number_slot_needs_a_number(nlus):
    nlu = nlus["en_US"]
    assert nlu.fill_slot("CompleteLesson", "Score", "I got 92").interpreted == "92"
    assert nlu.fill_slot("CompleteLesson", "Score", "eighty five").interpreted == "85"
    assert nlu.fill_slot("CompleteLesson", "Score", "no idea") is None
    assert nlu.fill_slot("CompleteLesson", "Nope", "90") is None


def test_an_elicited_lesson_slot_takes_the_whole_answer(nlus):
    nlu = nlus["en_US"]
    assert nlu.fill_slot("StartLesson", "LessonName", "the repl").interpreted == (
        "The Interactive Interpreter"
    )
    odd = nlu.fill_slot("StartLesson", "LessonName", "something else entirely!")
    assert (odd.original, odd.interpreted) == ("something else entirely", "something else entirely")


def test_an_answer_to_a_slot_question_takes_the_value_it_carries(nlus):
    nlu = nlus["en_US"]
    fill = nlu.answer("StartLesson", "LessonName", "start recursion")
    assert (fill.original, fill.interpreted) == ("recursion", "Recursion")
    # A phrase of another intent that names a lesson still answers "which lesson?".
    goal = nlu.answer("SetLearningGoal", "GoalLesson", "I want to learn classes")
    assert (goal.original, goal.interpreted) == ("classes", "Classes and Objects")
    odd = nlu.answer("StartLesson", "LessonName", "quantum physics")
    assert (odd.original, odd.interpreted, odd.resolved) == ("quantum physics",) * 2 + ((),)


@pytest.mark.parametrize(
    ("locale", "text", "intent"),
    [
        ("en_US", "start over", "ResetProgress"),  # a sample utterance
        ("en_US", "reset my progress please", "ResetProgress"),  # a confident match
        ("es_US", "reiniciar mi progreso", "ResetProgress"),
        ("en_US", "what should I learn next", "RecommendNextLesson"),
    ],
)
def test_a_clear_request_for_another_intent_switches(nlus, locale, text, intent):
    answer = nlus[locale].answer("StartLesson", "LessonName", text)
    assert isinstance(answer, NluResult)
    assert answer.intent == intent


def test_a_number_question_takes_only_numbers_or_a_clear_request(nlus):
    nlu = nlus["en_US"]
    assert nlu.answer("CompleteLesson", "Score", "I got 92").interpreted == "92"
    assert nlu.answer("CompleteLesson", "Score", "banana") is None
    assert nlu.answer("CompleteLesson", "Score", "help").intent == "Help"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", Confirmation.CONFIRMED),
        ("Sí", Confirmation.CONFIRMED),
        ("ok sure", Confirmation.CONFIRMED),
        ("no", Confirmation.DENIED),
        ("No, gracias", Confirmation.DENIED),
        ("nope", Confirmation.DENIED),
        ("maybe later", None),
        ("", None),
    ],
)
def test_confirmation_answers(text, expected):
    assert confirmation_of(text) is expected


def test_tokens_keep_their_place_in_the_original_text():
    text = "¿Qué  tal, I'm BACK?"
    tokens = tokenize(text)
    assert [t.text for t in tokens] == ["que", "tal", "im", "back"]
    assert [text[t.start : t.end] for t in tokens] == ["Qué", "tal", "I'm", "BACK"]


def test_parse_number():
    assert parse_number("score 85") == "85"
    assert parse_number("one hundred") == "100"
    assert parse_number("nothing") is None


def test_unknown_locale_is_refused(bundled_graph_loader):
    with pytest.raises(ValueError, match="not a bot locale"):
        LocalNlu.for_graph(bundled_graph_loader.get(), "fr_FR")


@pytest.mark.parametrize(
    ("text", "slot", "value"),
    [
        ("empezar hola mundo", "LessonName", "¡Hola, mundo!"),
        ("háblame de funciones", "LessonName", "Definir funciones"),
        ("terminé pruebas unitarias", "LessonName", "Pruebas unitarias con pytest"),
        ("empezar for loops", "LessonName", "Bucles for"),  # an English name, as Lex resolves it
        ("ver módulo control de flujo", "Module", "Control de flujo"),
        ("ver módulo control flow", "Module", "Control de flujo"),
    ],
)
def test_es_us_slots_resolve_to_the_spanish_values(nlus, text, slot, value):
    """Each locale has its own slot values: es_US resolves to the Spanish title or module,
    whether the learner says the Spanish or the English name (Lex: synonym -> value)."""
    found = nlus["es_US"].interpret(text).slots[slot]
    assert (found.interpreted, found.resolved) == (value, (value,)), text


def test_en_us_slots_stay_english(nlus):
    assert nlus["en_US"].interpret("start hello world").slots["LessonName"].resolved == (
        "Hello, World!",
    )
    assert nlus["en_US"].interpret("start bucles").slots["LessonName"].resolved == ()
