"""Command line: ``python -m lex_bot <command>``.

=================================================  ===========================================
``chat [--locale L] [--voice] [--session ID]``     talk to the real handler locally (no AWS)
``chat --script FILE``                             run a scripted conversation; exit 1 on a
                                                   failed expectation or contract violation
``invoke EVENT.json``                              run one Lex V2 event, print the response;
                                                   exit 1 if it breaks the contract
``replay PATH``                                    replay recorded conversations, print diffs;
                                                   exit 1 on any difference
``slot-values [--check] ...``                      regenerate the Lex slot values
``transitions rebuild [--store P] [--out P]``       learn the transitions snapshot from the
``[--min-learners N]``                             local progress store (what learners took
                                                   next), for the chat's recommendations
=================================================  ===========================================

The chat keeps progress in ``PROGRESS_STORE`` (default ``sqlite://.lessonbot/progress.db``,
so it survives a restart; a ``--script`` run starts from a fresh one), reads the course
from ``LESSON_GRAPH_PATH`` (default: the bundled ``data/lessons``) and what learners took
next from ``TRANSITIONS_SNAPSHOT`` (default ``.lessonbot/transitions`` when that snapshot
exists, not for a script: no learned next steps otherwise). Unless ``--verbose``, handler
logs and metrics are silenced.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lex_bot.lesson_app.progress_store import DEFAULT_LOCAL_STORE
from lex_bot.lesson_app.services import DEFAULT_LOCAL_TRANSITIONS


def _quiet_environment(verbose: bool, scripted: bool = False) -> None:
    """Defaults for a local run; must happen before the handler is imported.

    ``scripted``: a script starts from nothing, as the tests run it: a fresh progress file
    (unless ``PROGRESS_STORE`` is set) and no learned next steps (a script's
    ``@transitions`` brings its own), so running it twice gives the same answers.
    """
    if scripted and "PROGRESS_STORE" not in os.environ:
        folder = tempfile.mkdtemp(prefix="lessonbot-script-")
        os.environ["PROGRESS_STORE"] = f"sqlite://{folder}/progress.db"
    os.environ.setdefault("PROGRESS_STORE", DEFAULT_LOCAL_STORE)
    if not scripted and Path(DEFAULT_LOCAL_TRANSITIONS).exists():
        os.environ.setdefault("TRANSITIONS_SNAPSHOT", DEFAULT_LOCAL_TRANSITIONS)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    if not verbose:
        os.environ["LOG_LEVEL"] = "ERROR"
        os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"
        os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
        import logging

        logging.getLogger().setLevel(logging.ERROR)


def _console() -> Any:
    from rich.console import Console

    return Console(highlight=False)


def _chat(args: argparse.Namespace) -> int:
    _quiet_environment(args.verbose, scripted=args.script is not None)
    from lex_bot.devtools.local_chat import LocalLex, chat, run_script

    try:
        lex = LocalLex(
            locale=args.locale,
            input_mode="Speech" if args.voice else "Text",
            session_id=args.session,
        )
    except ValueError as exc:
        print(f"chat: {exc}", file=sys.stderr)
        return 2
    console = _console()
    if args.script is None:
        return chat(lex, console, debug=args.debug)
    try:
        text = Path(args.script).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"chat: cannot read {args.script}: {exc}", file=sys.stderr)
        return 2
    result = run_script(text, lex, console=console if not args.quiet else None)
    for failure in result.failures:
        print(f"{args.script}:{failure}", file=sys.stderr)
    summary = f"{args.script}: {result.turns} turns, {result.responses} responses checked"
    if result.ok:
        console.print(f"[green]PASS[/] {summary}")
        return 0
    console.print(f"[bold red]FAIL[/] {summary}, {len(result.failures)} failure(s)")
    return 1


def _invoke(args: argparse.Namespace) -> int:
    _quiet_environment(args.verbose)
    try:
        event = json.loads(Path(args.event).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:  # unreadable, not UTF-8, not JSON
        print(f"invoke: cannot read {args.event}: {exc}", file=sys.stderr)
        return 2
    from lex_bot.devtools.local_chat import contract_check
    from lex_bot.lesson_app.app import handle
    from lex_bot.lexv2.router import NotALexV2EventError

    try:
        response = handle(event)
    except NotALexV2EventError as exc:
        print(f"invoke: {exc}", file=sys.stderr)
        return 1
    # The handler answers in valid Unicode; a terminal that cannot show a character gets
    # it escaped rather than a crash.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")
    print(json.dumps(response, indent=2, ensure_ascii=False))
    violations = contract_check()(response)
    for violation in violations:
        print(f"contract violation: {violation}", file=sys.stderr)
    return 1 if violations else 0


def _replay(args: argparse.Namespace) -> int:
    _quiet_environment(args.verbose)
    from lex_bot.devtools.replay import replay_path
    from lex_bot.lesson_app.app import handle

    results = replay_path(args.path, handle)
    if not results:
        print(f"replay: no recordings under {args.path}", file=sys.stderr)
        return 1
    differing = [r for r in results if not r.ok]
    for result in differing:
        print(result.diff)
    print(f"replayed {len(results)} turns, {len(differing)} differ")
    return 1 if differing else 0


def _transitions_rebuild(args: argparse.Namespace) -> int:
    from lex_bot.devtools.transitions import default_store_file, rebuild

    store = args.store or default_store_file()
    try:
        result = rebuild(store, args.out, min_learners=args.min_learners)
    except (FileNotFoundError, ValueError) as exc:
        print(f"transitions rebuild: {exc}", file=sys.stderr)
        return 2
    successors = sum(len(result.model.successors(x)) for x in result.model.lessons)
    state = "written" if result.written else "unchanged"
    print(
        f"{args.out}: {state}; {result.learners} learners, {len(result.model)} lessons with "
        f"{successors} successors of at least {args.min_learners} learners"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m lex_bot`` argument parser (``slot-values`` is parsed by its module)."""
    parser = argparse.ArgumentParser(prog="python -m lex_bot", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    from lex_bot.devtools.local_chat import SCRIPT_HELP

    chat = commands.add_parser(
        "chat",
        help="talk to the bot locally (no AWS account needed)",
        epilog=SCRIPT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    chat.add_argument("--locale", default="en_US", help="bot locale (en_US or es_US)")
    chat.add_argument("--voice", action="store_true", help="the voice channel (SSML, no cards)")
    chat.add_argument("--script", help="run this conversation script non-interactively")
    chat.add_argument("--session", default="local-learner", help="Lex session id (= learner)")
    chat.add_argument("--debug", action="store_true", help="show raw events and responses")
    chat.add_argument("--quiet", action="store_true", help="with --script: print only failures")
    chat.add_argument("--verbose", action="store_true", help="keep the handler's logs")
    chat.set_defaults(run=_chat)

    invoke = commands.add_parser("invoke", help="run one Lex V2 event file through the handler")
    invoke.add_argument("event", help="a JSON file with one Lex V2 event")
    invoke.add_argument("--verbose", action="store_true", help="keep the handler's logs")
    invoke.set_defaults(run=_invoke)

    replay = commands.add_parser("replay", help="replay recorded conversations, print diffs")
    replay.add_argument("path", help="a .jsonl recording or a folder of them")
    replay.add_argument("--verbose", action="store_true", help="keep the handler's logs")
    replay.set_defaults(run=_replay)

    transitions = commands.add_parser(
        "transitions", help="learned next steps: what this course's learners took next"
    )
    actions = transitions.add_subparsers(dest="action", required=True)
    rebuild = actions.add_parser(
        "rebuild", help="learn the snapshot from the local (SQLite) progress store"
    )
    rebuild.add_argument(
        "--store",
        help="the SQLite progress file (default: PROGRESS_STORE or .lessonbot/progress.db)",
    )
    rebuild.add_argument(
        "--out", default=DEFAULT_LOCAL_TRANSITIONS, help=f"default {DEFAULT_LOCAL_TRANSITIONS}"
    )
    rebuild.add_argument(
        "--min-learners",
        type=int,
        default=5,
        help="privacy and noise floor: distinct learners a count needs (default 5)",
    )
    rebuild.set_defaults(run=_transitions_rebuild)

    commands.add_parser("slot-values", help="regenerate the slot values from the lesson graph",
                        add_help=False)  # fmt: skip
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; return its exit code.

    Example:
        >>> main(["invoke", "tests/events/greeting_text_fulfillment.json"])  # doctest: +SKIP
        0
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["slot-values"]:
        from lex_bot.devtools.slot_values import main as slot_values_main

        return slot_values_main(argv[1:])
    args = build_parser().parse_args(argv)
    return int(args.run(args))
