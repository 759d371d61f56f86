"""Drive Debian's headless Chromium from tests: a small Chrome DevTools Protocol client.

No browser driver or downloaded browser build: Chromium is started with
``--remote-debugging-pipe``, which speaks the DevTools protocol as NUL-terminated JSON
messages on file descriptors 3 (commands in) and 4 (replies and events out). Standard library
only.

Used by ``tests/knowledge_graph/test_explore_browser.py`` and to take the README's picture
of the explorer::

    .venv/bin/python tests/chromium_cdp.py docs/explore.png

:func:`find_chromium` tells whether a browser is installed; ``.ci/run`` installs Debian's
``chromium`` when it is missing, and the browser test fails (not skips) when ``CI=true``.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

#: Executable names of Chromium, in the order they are looked for.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")


def find_chromium() -> str | None:
    """The path of an installed Chromium, or None."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


class BrowserError(RuntimeError):
    """The browser answered a command with an error, died, or timed out."""


class Browser:
    """One headless Chromium with one page, commanded over the DevTools pipe."""

    def __init__(self, binary: str, *, width: int = 1400, height: int = 900) -> None:
        self._profile = tempfile.mkdtemp(prefix="lessonbot-chromium-")
        commands_read, self._commands = os.pipe()
        self._replies, replies_write = os.pipe()

        def wire() -> None:  # in the child: the pipe ends become fds 3 and 4
            high_in, high_out = os.dup(commands_read), os.dup(replies_write)
            os.dup2(high_in, 3)  # dup2 onto another fd makes it inheritable
            os.dup2(high_out, 4)

        self.process = subprocess.Popen(
            [
                binary,
                "--headless",
                "--no-sandbox",  # tests run as root in CI
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--remote-debugging-pipe",
                f"--user-data-dir={self._profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,
            preexec_fn=wire,
        )
        os.close(commands_read)
        os.close(replies_write)
        self._next_id = 0
        self._answers: dict[int, dict[str, Any]] = {}
        self._ready = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        attached = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})
        self._session = attached["sessionId"]
        self.send("Page.enable", session=True)
        self.send("Runtime.enable", session=True)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session=True,
        )

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self._replies, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                with self._ready:
                    self._answers[-1] = {"error": {"message": "browser closed the pipe"}}
                    self._ready.notify_all()
                return
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "id" in message:
                    with self._ready:
                        self._answers[message["id"]] = message
                        self._ready.notify_all()

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        session: bool = False,
        timeout: float = 30.0,
    ) -> dict[str, Any]:
        """Run one DevTools command and return its result (BrowserError on failure)."""
        self._next_id += 1
        number = self._next_id
        message: dict[str, Any] = {"id": number, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self._session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        with self._ready:
            while number not in self._answers and -1 not in self._answers:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise BrowserError(f"{method}: no answer within {timeout} s")
                self._ready.wait(left)
            answer = self._answers.pop(number, None) or self._answers[-1]
        if "error" in answer:
            raise BrowserError(f"{method}: {answer['error'].get('message')}")
        return answer.get("result", {})

    def goto(self, url: str) -> None:
        """Open ``url`` in the page."""
        self.send("Page.navigate", {"url": url}, session=True)

    def evaluate(self, expression: str, *, timeout: float = 30.0) -> Any:
        """Evaluate JavaScript in the page (promises awaited) and return its JSON value."""
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
            session=True,
            timeout=timeout,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise BrowserError(f"JavaScript error: {text}")
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, *, timeout: float = 30.0) -> Any:
        """Poll ``expression`` until it is truthy; return its value (BrowserError on time-out)."""
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(expression)
            except BrowserError:
                value = None
            if value:
                return value
            time.sleep(0.1)
        raise BrowserError(f"timed out after {timeout} s waiting for {expression}: {value!r}")

    def screenshot(self, path: str | os.PathLike[str]) -> Path:
        """Save a PNG of the page's viewport."""
        data = self.send("Page.captureScreenshot", {"format": "png"}, session=True)["data"]
        target = Path(path)
        target.write_bytes(base64.b64decode(data))
        return target

    def close(self) -> None:
        """Stop the browser (the process this object started) and remove its profile."""
        with suppress(BrowserError, OSError):
            self.send("Browser.close", timeout=5)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        for fd in (self._commands, self._replies):
            with suppress(OSError):
                os.close(fd)
        shutil.rmtree(self._profile, ignore_errors=True)


@contextmanager
def browser(binary: str | None = None, **kwargs: Any) -> Iterator[Browser]:
    """A :class:`Browser`, closed on exit (BrowserError when no Chromium is installed)."""
    binary = binary or find_chromium()
    if binary is None:
        raise BrowserError(f"no Chromium found (looked for {', '.join(CHROMIUM_NAMES)})")
    page = Browser(binary, **kwargs)
    try:
        yield page
    finally:
        page.close()


def take_explorer_screenshot(out: Path, graph: str = "data/lessons") -> Path:
    """Explore ``graph`` in headless Chromium as an author would, and save a screenshot."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from knowledge_graph.explore import Explorer, serve
    from knowledge_graph.validation import validate_path

    with browser(width=1500, height=900) as page:
        server = serve(Explorer.from_report(validate_path(graph), graph), 0)
        server.start()
        try:
            page.goto(server.url)
            page.wait_for("document.body.dataset.ready === 'overview'")
            for lesson in ("installing-python", "the-repl", "hello-world", "variables"):
                page.evaluate(f"explorer.goToLesson('python-intro/{lesson}')")
                page.wait_for(f"explorer.state.selected === 'python-intro/{lesson}'")
                done = page.evaluate("document.body.dataset.suggestions")
                page.evaluate("document.getElementById('completed-toggle').click()")
                page.wait_for(f"document.body.dataset.suggestions !== '{done}'")
            page.evaluate("explorer.goToLesson('python-intro/conditionals')")
            page.wait_for("explorer.state.selected === 'python-intro/conditionals'")
            time.sleep(0.5)
            return page.screenshot(out)
        finally:
            server.shutdown()
            server.server_close()


if __name__ == "__main__":
    written = take_explorer_screenshot(Path(sys.argv[1] if len(sys.argv) > 1 else "explore.png"))
    print(f"wrote {written}")
