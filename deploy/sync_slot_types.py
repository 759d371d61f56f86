"""Push lesson names from the lesson graph into a deployed Lex bot, without a stack update.

``python -m deploy.sync_slot_types --bot-id ID [--locale en_US ...] [--graph PATH]
[--alias-id ID]``

Authors add lessons far more often than the bot changes. This regenerates the slot values of
the lesson slot types of each locale (``lex_bot.devtools.slot_values.
generate_locale_slot_values``: titles and module names in that locale) from the graph and,
through the Lex V2 model building API, in this order:

1. per locale and lesson slot type: ``list_slot_types`` (find the id by name),
   ``describe_slot_type`` (keep its description and settings), ``update_slot_type`` (that
   locale's new values, resolution ``ORIGINAL_VALUE``) on the ``DRAFT`` version;
2. per locale: ``build_bot_locale``, then ``describe_bot_locale`` until ``Built``;
3. ``create_bot_version`` from ``DRAFT`` for those locales, ``describe_bot_version`` until
   ``Available``;
4. with ``--alias-id``: ``describe_bot_alias`` and ``update_bot_alias`` to the new version,
   keeping the alias's locale settings (code hook), log and sentiment settings.

The stack's template then lags behind the bot: before the next ``sam deploy``, regenerate
the values from the same graph (``python -m lex_bot slot-values --graph PATH``) and the
template (``make template``), or that deploy puts the old values back. The caller needs
``lex:ListSlotTypes``, ``DescribeSlotType``, ``UpdateSlotType``,
``BuildBotLocale``, ``DescribeBotLocale``, ``CreateBotVersion``, ``DescribeBotVersion``,
``DescribeBotAlias`` and ``UpdateBotAlias`` on the bot and alias.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from deploy.lex_template import slot_type_values

DRAFT = "DRAFT"
POLL_SECONDS = 5.0
DEFAULT_TIMEOUT_SECONDS = 600.0


class SyncError(RuntimeError):
    """The bot could not be updated (build failed, timed out, slot type missing)."""


@dataclass
class SyncResult:
    """What a sync changed."""

    updated: list[tuple[str, str]]  # (locale, slot type name)
    bot_version: str
    alias_id: str | None


def api_slot_values(values: Sequence[Mapping[str, Any]], *, name: str = "") -> list[dict]:
    """Convert generated slot values to the model API's ``slotTypeValues`` (Lex quotas applied).

    Example
    -------
    >>> api_slot_values([{"value": "Loops", "synonyms": ["for loops"]}])
    [{'sampleValue': {'value': 'Loops'}, 'synonyms': [{'value': 'for loops'}]}]
    """
    out = []
    for entry in slot_type_values(values, name=name):
        item: dict[str, Any] = {"sampleValue": {"value": entry["SampleValue"]["Value"]}}
        if entry.get("Synonyms"):
            item["synonyms"] = [{"value": s["Value"]} for s in entry["Synonyms"]]
        out.append(item)
    return out


class SlotTypeSync:
    """Update slot types, build, version and re-point an alias of one bot.

    Parameters
    ----------
    client
        A boto3 ``lexv2-models`` client.
    bot_id : str
        The bot (``BotId`` output of the stack).
    sleep, clock
        Injected for tests; default ``time.sleep`` and ``time.monotonic``.
    timeout : float
        Seconds to wait for each build and for the version.
    """

    def __init__(
        self,
        client: Any,
        bot_id: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.client = client
        self.bot_id = bot_id
        self.sleep = sleep
        self.clock = clock
        self.timeout = timeout
        self.poll_seconds = poll_seconds

    def slot_type_id(self, locale: str, name: str) -> str:
        """Return the id of the slot type ``name`` in the DRAFT of ``locale``."""
        response = self.client.list_slot_types(
            botId=self.bot_id,
            botVersion=DRAFT,
            localeId=locale,
            filters=[{"name": "SlotTypeName", "values": [name], "operator": "EQ"}],
        )
        for summary in response.get("slotTypeSummaries", []):
            if summary.get("slotTypeName") == name:
                return str(summary["slotTypeId"])
        raise SyncError(f"{locale}: slot type {name} not found in bot {self.bot_id}")

    def update_slot_type(self, locale: str, name: str, values: list[dict]) -> None:
        """Replace the values of one slot type, keeping its other settings."""
        slot_type_id = self.slot_type_id(locale, name)
        current = self.client.describe_slot_type(
            slotTypeId=slot_type_id, botId=self.bot_id, botVersion=DRAFT, localeId=locale
        )
        selection = dict(current.get("valueSelectionSetting") or {})
        selection["resolutionStrategy"] = "ORIGINAL_VALUE"
        kwargs: dict[str, Any] = {
            "slotTypeId": slot_type_id,
            "slotTypeName": name,
            "slotTypeValues": values,
            "valueSelectionSetting": selection,
            "botId": self.bot_id,
            "botVersion": DRAFT,
            "localeId": locale,
        }
        if current.get("description"):
            kwargs["description"] = current["description"]
        self.client.update_slot_type(**kwargs)

    def _wait(self, what: str, probe: Callable[[], tuple[str, Any]], done: str) -> None:
        """Poll ``probe`` (returning ``(status, failure_reasons)``) until ``done``."""
        deadline = self.clock() + self.timeout
        while True:
            status, reasons = probe()
            if status == done:
                return
            if status == "Failed":
                raise SyncError(f"{what} failed: {reasons or 'no reason given'}")
            if self.clock() >= deadline:
                raise SyncError(f"{what}: still {status} after {self.timeout:.0f} s")
            self.sleep(self.poll_seconds)

    def build_locale(self, locale: str) -> None:
        """Build the DRAFT of ``locale`` and wait until it is ``Built``."""
        self.client.build_bot_locale(botId=self.bot_id, botVersion=DRAFT, localeId=locale)

        def probe() -> tuple[str, Any]:
            info = self.client.describe_bot_locale(
                botId=self.bot_id, botVersion=DRAFT, localeId=locale
            )
            return info["botLocaleStatus"], info.get("failureReasons")

        self._wait(f"building {locale}", probe, "Built")

    def create_version(self, locales: Sequence[str], description: str) -> str:
        """Publish DRAFT of ``locales`` as a new numbered version; wait until Available."""
        response = self.client.create_bot_version(
            botId=self.bot_id,
            description=description,
            botVersionLocaleSpecification={
                locale: {"sourceBotVersion": DRAFT} for locale in locales
            },
        )
        version = str(response["botVersion"])

        def probe() -> tuple[str, Any]:
            info = self.client.describe_bot_version(botId=self.bot_id, botVersion=version)
            return info["botStatus"], info.get("failureReasons")

        self._wait(f"creating version {version}", probe, "Available")
        return version

    def point_alias(self, alias_id: str, version: str) -> None:
        """Move ``alias_id`` to ``version``, keeping every other setting of the alias."""
        alias = self.client.describe_bot_alias(botAliasId=alias_id, botId=self.bot_id)
        kwargs: dict[str, Any] = {
            "botAliasId": alias_id,
            "botAliasName": alias["botAliasName"],
            "botVersion": version,
            "botId": self.bot_id,
        }
        for key in (
            "description",
            "botAliasLocaleSettings",
            "conversationLogSettings",
            "sentimentAnalysisSettings",
        ):
            if alias.get(key):
                kwargs[key] = alias[key]
        self.client.update_bot_alias(**kwargs)

    def run(
        self,
        slot_values: Mapping[str, Mapping[str, Sequence[Mapping[str, Any]]]],
        locales: Sequence[str],
        alias_id: str | None = None,
    ) -> SyncResult:
        """Update every slot type of each locale's ``slot_values`` (locale -> slot type ->
        values, ``generate_locale_slot_values``) in that locale, build, version, alias."""
        if not locales:
            raise SyncError("no locales given")
        missing = [locale for locale in locales if locale not in slot_values]
        if missing:
            raise SyncError(f"no slot values generated for {', '.join(missing)}")
        updated = []
        for locale in locales:
            for name in sorted(slot_values[locale]):
                values = api_slot_values(slot_values[locale][name], name=name)
                if not values:
                    raise SyncError(f"slot type {name}: no values generated from the graph")
                self.update_slot_type(locale, name, values)
                updated.append((locale, name))
        for locale in locales:
            self.build_locale(locale)
        version = self.create_version(locales, "lesson names synced from the lesson graph")
        if alias_id:
            self.point_alias(alias_id, version)
        return SyncResult(updated=updated, bot_version=version, alias_id=alias_id)


def _definition_locales() -> list[str]:
    """The locales of the bot definition (the default for ``--locale``)."""
    from deploy.lex_template import load_definition

    return list(load_definition()["bot"]["locales"])


def main(argv: Sequence[str] | None = None) -> int:
    """Command line; exit 0 on success, 1 on failure."""
    parser = argparse.ArgumentParser(prog="python -m deploy.sync_slot_types", description=__doc__)
    parser.add_argument("--bot-id", required=True, help="the stack's BotId output")
    parser.add_argument(
        "--locale", action="append", help="locale to update (repeat); default: all of the bot's"
    )
    parser.add_argument(
        "--graph",
        default=os.environ.get("LESSON_GRAPH_PATH"),
        help="lesson graph file, folder or s3:// URL (default: $LESSON_GRAPH_PATH, else bundled)",
    )
    parser.add_argument("--alias-id", help="alias to move to the new version (BotAliasId output)")
    parser.add_argument("--region", help="AWS region (default: from the AWS configuration)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_SECONDS)
    args = parser.parse_args(argv)
    try:
        import boto3

        from knowledge_graph import load_graph
        from knowledge_graph.loader import BUNDLED_LOCATION
        from lex_bot.devtools.slot_values import generate_locale_slot_values

        graph = load_graph(args.graph or BUNDLED_LOCATION)
        locales = args.locale or _definition_locales()
        slot_values = generate_locale_slot_values(graph, locales)
        client = boto3.client("lexv2-models", region_name=args.region)
        result = SlotTypeSync(client, args.bot_id, timeout=args.timeout).run(
            slot_values, locales, args.alias_id
        )
    except Exception as exc:  # one clear line for operators instead of a traceback
        print(f"sync_slot_types: FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"updated {len(result.updated)} slot type(s) in {', '.join(locales)}")
    print(f"bot version {result.bot_version} created")
    if result.alias_id:
        print(f"alias {result.alias_id} now serves version {result.bot_version}")
    print(
        "before the next `sam deploy`: `python -m lex_bot slot-values --graph <the same graph>` "
        "and `make template`, so the stack matches the bot"
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
