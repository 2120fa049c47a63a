"""Open a file in headless Chromium over the DevTools pipe (stdlib only): every request it
makes, every console error, a screenshot. Debian's `chromium` package, no browser download.

The DevTools protocol over --remote-debugging-pipe: the browser reads NUL-separated JSON
commands on fd 3 and writes replies and events on fd 4 (what Puppeteer's `pipe: true` uses).
No driver package to keep in step with the browser's version, and no port to open.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--hide-scrollbars",
    "--mute-audio",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # no name resolves: nothing can leave
    "--remote-debugging-pipe",
)


# Debian's chromium package installs here (.ci/run installs it when missing); PATH may not
# hold /usr/bin under a minimal CI shell.
DEBIAN_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def find_chromium() -> str | None:
    """$INFERTIME_CHROMIUM where set (None when it is not an executable: a wrong path is not
    silently replaced), else chromium or chromium-browser on PATH, else Debian's path."""
    named = os.environ.get("INFERTIME_CHROMIUM")
    if named:
        return named if os.access(named, os.X_OK) else None
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    return next((p for p in DEBIAN_PATHS if os.access(p, os.X_OK)), None)


def in_ci() -> bool:
    """Whether this runs in CI ($CI set, as CI services and .ci/run's callers set it)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


class BrowserError(RuntimeError):
    pass


@dataclass
class PageLog:
    """What the page did: requests other than the page itself, and console errors."""

    url: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


class Chromium:
    """One headless browser with one page; a context manager."""

    def __init__(self, executable: str, timeout_s: float = 30.0) -> None:
        self.timeout_s = timeout_s
        self._profile = tempfile.mkdtemp(prefix="infertime-chromium-")
        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()
        # The browser reads fd 3 and writes fd 4. The child's ends are copied above fd 10
        # first (close-on-exec), so that placing one at 3 or 4 cannot overwrite the other;
        # posix_spawn's dup2 places them, and every other descriptor closes on exec.
        child_r = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD_CLOEXEC, 10)
        child_w = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD_CLOEXEC, 10)
        for fd in (to_browser_r, from_browser_w):
            os.close(fd)
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
            (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
            (os.POSIX_SPAWN_DUP2, child_r, 3),
            (os.POSIX_SPAWN_DUP2, child_w, 4),
        ]
        argv = [executable, *FLAGS, f"--user-data-dir={self._profile}", "about:blank"]
        try:
            self._pid = os.posix_spawnp(executable, argv, dict(os.environ), file_actions=actions)
        finally:
            os.close(child_r)
            os.close(child_w)
        self._to_browser, self._from_browser = to_browser_w, from_browser_r
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []
        self.on_event: Callable[[dict[str, Any]], None] = lambda message: None
        self.session = ""

    def __enter__(self) -> Chromium:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        attached = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})
        self.session = attached["sessionId"]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with contextlib.suppress(BrowserError, OSError):
            self.send("Browser.close", session="")
        self._reap(10.0)
        for fd in (self._to_browser, self._from_browser):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self._profile, ignore_errors=True)

    def _reap(self, timeout_s: float) -> None:
        """Wait for the browser to exit; kill it (this process's own child) if it does not."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            pid, _ = os.waitpid(self._pid, os.WNOHANG)
            if pid:
                return
            time.sleep(0.05)
        os.kill(self._pid, signal.SIGKILL)
        os.waitpid(self._pid, 0)

    # -- protocol ---------------------------------------------------------------------------

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("no answer from Chromium in time")
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise BrowserError("Chromium closed its DevTools pipe")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        """Send a command and wait for its reply; events that arrive meanwhile are handled."""
        self._next_id += 1
        ident = self._next_id
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        target = self.session if session is None else session
        if target:
            message["sessionId"] = target
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout_s
        while True:
            reply = self._read(deadline)
            if reply.get("id") == ident:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            if "method" in reply:
                self.on_event(reply)
                self._events.append(reply)

    def wait_for(self, method: str) -> dict[str, Any]:
        """Wait for an event (one that already arrived counts)."""
        for event in self._events:
            if event["method"] == method:
                self._events.remove(event)
                return event
        deadline = time.monotonic() + self.timeout_s
        while True:
            event = self._read(deadline)
            if "method" in event:
                self.on_event(event)
                if event["method"] == method:
                    return event
                self._events.append(event)

    # -- what the tests use -----------------------------------------------------------------

    def open(self, path: Path, width: int = 1280, height: int = 900) -> PageLog:
        """Load a local file with every request outside it refused and recorded."""
        url = path.resolve().as_uri()
        log = PageLog(url)

        def handle(event: dict[str, Any]) -> None:
            method, params = event["method"], event.get("params", {})
            if method == "Network.requestWillBeSent":
                requested = params["request"]["url"]
                if requested != url and not requested.startswith("data:"):
                    log.requests.append(requested)
            elif method == "Fetch.requestPaused":
                verb = "Fetch.continueRequest"
                extra: dict[str, Any] = {}
                if params["request"]["url"] != url:
                    verb, extra = "Fetch.failRequest", {"errorReason": "BlockedByClient"}
                message = {
                    "id": 0,
                    "method": verb,
                    "sessionId": self.session,
                    "params": {"requestId": params["requestId"], **extra},
                }
                os.write(self._to_browser, json.dumps(message).encode() + b"\0")
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                args = params.get("args", [])
                log.console_errors.append(" ".join(str(a.get("value", a)) for a in args))
            elif method == "Runtime.exceptionThrown":
                log.console_errors.append(str(params["exceptionDetails"].get("text")))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                log.console_errors.append(str(params["entry"].get("text")))

        self.on_event = handle
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.send("Fetch.enable", {"patterns": [{"urlPattern": "*"}]})
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        self.send("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")
        self.evaluate("document.fonts.ready.then(function(){return true;})")
        return log

    def evaluate(self, expression: str) -> Any:
        reply = self.send(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
        )
        if "exceptionDetails" in reply:
            raise BrowserError(f"{expression}: {reply['exceptionDetails'].get('text')}")
        return reply["result"].get("value")

    def screenshot(self, width: int = 1280, height: int = 900, y: int = 0) -> bytes:
        """A PNG of the page from `y` down, `width` × `height` CSS pixels."""
        shot = self.send(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": y, "width": width, "height": height, "scale": 1},
            },
        )
        return base64.b64decode(shot["data"])


def pixel_spread(png: bytes) -> tuple[float, int]:
    """(variance of grey levels, number of distinct colours): a blank page has ~0 and 1."""
    import io

    from PIL import Image, ImageStat

    image = Image.open(io.BytesIO(png)).convert("RGB")
    grey = image.convert("L")
    colours = image.getcolors(maxcolors=1 << 16)
    return ImageStat.Stat(grey).var[0], len(colours) if colours else 1 << 16
