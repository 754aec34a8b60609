"""Drive a partner's web app through one "Verify with KTP" in Chromium, recording everything the browser saw.

The partner-web rules judge only what a browser can observe, so the driver keeps every request the pages made with
its answer, the result messages the partner's page received, the pages' storage and cookies, the hosted flow's
return and what the page showed afterwards. Browsers are launched per card: the fake camera plays one file for life.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from PIL import Image
from playwright.sync_api import Error as PlaywrightError

from conformance.browser import card_video, chromium
from conformance.checks.partner_backend import FrontendExchange
from conformance.checks.partner_web import FlowReturn, StoredValue, WebFlow
from conformance.plugin import KtpCard
from conformance.targets import WebApp
from mock_gateway.domain.gateway import LAUNCH_PATH

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Frame, Page, Playwright, Request, Response

HOSTED_PATH = urlsplit(LAUNCH_PATH).path  # the hosted flow's page, whatever origin serves it
RESULT_MESSAGE = "onekyc.ktp_scan.result"
OPEN_SECONDS = 30.0  # from "Verify with KTP" (or "try again") to the hosted flow on screen
RETURN_SECONDS = 150.0  # the hosted flow's own limit is 2 minutes of polling (SESSION_TIMEOUT)
POLL_MS = 100
TEXT_TYPES = ("json", "text/", "javascript", "xml")  # answers whose bodies may carry a secret
MESSAGE_BINDING = "__ktpResultMessage"
# Every top-level page reports the hosted flow's result messages to the harness (iframes stay silent).
WATCH_MESSAGES = f"""
if (window === window.top) {{
  window.addEventListener("message", (event) => {{
    let data = null;
    try {{ data = JSON.parse(JSON.stringify(event.data)); }} catch {{ return; }}
    if (data && data.type === "{RESULT_MESSAGE}") window.{MESSAGE_BINDING}({{ origin: event.origin, data }});
  }});
}}
"""
READ_STORAGE = """() => {
  const found = [];
  for (const place of ["localStorage", "sessionStorage"]) {
    try {
      const store = window[place];
      for (let i = 0; i < store.length; i++) found.push([place, store.key(i), store.getItem(store.key(i))]);
    } catch { /* an opaque origin (about:blank) has no storage */ }
  }
  return found;
}"""
READ_CONTROL = "element => 'value' in element ? String(element.value) : element.textContent.trim()"
T = TypeVar("T")


@dataclass
class Browsers:
    """One Chromium per card held up to the camera (or none: no camera at all), launched on first use."""

    playwright: Playwright
    directory: Path  # where the camera videos go
    launched: dict[str | None, Browser] = field(default_factory=dict)

    def showing(self, card: KtpCard | None) -> Browser:
        """The browser whose camera films `card`."""
        key = None if card is None else hashlib.sha256(card.image).hexdigest()
        if key not in self.launched:
            camera = None if card is None else card_video(Image.open(BytesIO(card.image)), self.directory)
            self.launched[key] = chromium(self.playwright, camera)
        return self.launched[key]


@dataclass
class _Exchange:
    """One request as it happens; the answer fills in later."""

    method: str
    url: str
    document: bool  # a navigation of some frame
    top: bool  # of the top-level frame
    status: int | None = None
    body: str = ""
    done: bool = False


@dataclass
class BrowserLog:
    """Every request of one browser context with its answer, and the result messages its top pages received."""

    exchanges: list[_Exchange] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    _open: dict[Request, _Exchange] = field(default_factory=dict)

    @classmethod
    def attach(cls, context: BrowserContext) -> BrowserLog:
        """Start recording `context` (before any page opens)."""
        log = cls()
        context.on("request", log._request)
        context.on("response", log._response)
        context.on("requestfailed", log._failed)
        context.expose_binding(MESSAGE_BINDING, lambda _source, message: log.messages.append(message))
        context.add_init_script(WATCH_MESSAGES)
        return log

    def recorded(self) -> tuple[FrontendExchange, ...]:
        """What the rules see: method, URL, status and text body of every request."""
        return tuple(FrontendExchange(e.method, e.url, e.status, e.body) for e in self.exchanges)

    def document(self, url: str) -> str:
        """How evidence names the page at `url`: its latest document request."""
        wanted = _without_fragment(url)
        for exchange in reversed(self.exchanges):
            if exchange.document and _without_fragment(exchange.url) == wanted:
                return f"{exchange.method} {exchange.url} -> {exchange.status}"
        return f"GET {wanted} -> None"

    def _request(self, request: Request) -> None:
        try:
            top = request.frame.parent_frame is None
        except PlaywrightError:  # a service worker's request has no frame
            top = False
        exchange = _Exchange(request.method, request.url, request.is_navigation_request(), top)
        self.exchanges.append(exchange)
        self._open[request] = exchange

    def _response(self, response: Response) -> None:
        exchange = self._open.pop(response.request, None)
        if exchange is None:
            return
        exchange.status = response.status
        if any(kind in response.headers.get("content-type", "") for kind in TEXT_TYPES):
            try:
                exchange.body = response.text()
            except PlaywrightError:  # a redirect, or a body the browser already dropped
                exchange.body = ""
        exchange.done = True

    def _failed(self, request: Request) -> None:
        exchange = self._open.pop(request, None)
        if exchange is not None:
            exchange.done = True


@dataclass(frozen=True)
class FlowPlan:
    """What the harness does in one flow, and what it knows the page owes the user."""

    mode: str  # redirect | iframe
    user_id: str
    cancel: bool = False  # press the hosted flow's cancel button
    truth: dict[str, str] | None = None  # the card's ktpData when the gateway reads it as VALID
    withheld: bool = False  # the harness keeps the result from the partner's backend: a timeout is owed


def verify_with_ktp(context: BrowserContext, web: WebApp, plan: FlowPlan, shoot: Callable[[Page, str], None]
                    ) -> WebFlow:  # fmt: skip
    """Open the sign-up page, verify with KTP, wait for what the page shows after the return, try again if it failed."""
    log = BrowserLog.attach(context)
    page = context.new_page()
    page.goto(web.start_page(plan.mode, plan.user_id))
    start = log.document(page.url)
    shoot(page, "the sign-up page")
    _click(page, web.verify_button, start)
    hosted = _wait(page, lambda: _hosted_frame(page), OPEN_SECONDS)
    if hosted is None:
        shoot(page, "the hosted flow never opened")
        return WebFlow(plan.mode, _expected(plan, None), start, None, None, {}, web.fields, None,
                       exchanges=log.recorded(), stored=_stored(page, log))  # fmt: skip
    hosted_url = hosted.url
    _wait_visible(hosted, '[data-testid="flow-status"]')
    hosted_document = log.document(hosted_url)
    shoot(page, "the hosted KTP scan")
    if plan.cancel:
        hosted.locator('[data-testid="cancel"]').click(timeout=OPEN_SECONDS * 1000)
    returned = _wait(page, lambda: _returned(log, hosted_document), RETURN_SECONDS)
    _loaded(page)
    shoot(page, "back on the partner's page")
    started = time.monotonic()
    _wait(page, lambda: _settled(page, web), web.result_wait_seconds)
    shown, failure = _fields(page, web), _failure(page, web)
    waited = time.monotonic() - started
    shoot(page, "the failure the page shows" if failure else "the result the page shows")
    stored = _stored(page, log)
    offered, retried = False, None
    if failure is not None:
        offered, retried = _try_again(page, web, log, hosted_url, shoot)
    return WebFlow(plan.mode, _expected(plan, returned), start, hosted_document, returned, shown, web.fields, failure,
                   offered, retried, plan.truth, waited, log.recorded(), stored)  # fmt: skip


def _expected(plan: FlowPlan, returned: FlowReturn | None) -> str:
    """What the page owes the user: a failure after an error, a timeout when the result never comes, else the result."""
    if plan.cancel or (returned is not None and returned.status == "ERROR"):
        return "failure"
    if plan.withheld:
        return "timeout"
    return "result" if plan.truth else "failure"


def _click(page: Page, selector: str, where: str) -> None:
    try:
        page.locator(selector).first.click(timeout=OPEN_SECONDS * 1000)
    except PlaywrightError as error:
        raise AssertionError(f"{where}: cannot click {selector!r}: {error.message.splitlines()[0]}") from None


def _hosted_frame(page: Page, other_than: str | None = None) -> Frame | None:
    """The frame (the page itself in redirect mode) showing the hosted flow, if any."""
    return next((frame for frame in page.frames
                 if urlsplit(frame.url).path == HOSTED_PATH and frame.url != other_than), None)  # fmt: skip


def _returned(log: BrowserLog, hosted_document: str) -> FlowReturn | None:
    """The hosted flow's return once it happened: a result message, or the top page's navigation away from it."""
    if log.messages:
        data = log.messages[0]["data"]
        return FlowReturn("postMessage", data.get("status"), data.get("partnerSessionId"), data.get("errorCode"),
                          f"{hosted_document} (in an iframe)")  # fmt: skip
    pages = [(e, urlsplit(e.url).path == HOSTED_PATH) for e in log.exchanges if e.document and e.top]
    first_hosted = next((index for index, (_, hosted) in enumerate(pages) if hosted), len(pages))
    landed = next((e for e, hosted in pages[first_hosted + 1 :] if not hosted), None)
    if landed is None or not landed.done:
        return None
    query = {key: values[0] for key, values in parse_qs(urlsplit(landed.url).query).items()}
    return FlowReturn("redirect", query.get("status"), query.get("partner_session_id"), query.get("error_code"),
                      f"{landed.method} {landed.url} -> {landed.status}")  # fmt: skip


def _settled(page: Page, web: WebApp) -> bool:
    """The page shows a result (something in the form) or a failure."""
    return any(value.strip() for value in _fields(page, web).values()) or _failure(page, web) is not None


def _fields(page: Page, web: WebApp) -> dict[str, str]:
    """What each mapped form control shows ("" when the page has no such control)."""
    return {key: _read(page, selector) for key, selector in web.fields.items()}


def _read(page: Page, selector: str) -> str:
    try:
        control = page.locator(selector).first
        return control.evaluate(READ_CONTROL, timeout=1000) if control.count() else ""
    except PlaywrightError:  # the page is navigating
        return ""


def _failure(page: Page, web: WebApp) -> str | None:
    """The failure the page shows, if a visible element matches the target's failure selector."""
    try:
        shown = page.locator(web.failure).first
        return shown.inner_text(timeout=1000).strip() or None if shown.count() and shown.is_visible() else None
    except PlaywrightError:
        return None


def _try_again(page: Page, web: WebApp, log: BrowserLog, first_hosted: str, shoot: Callable[[Page, str], None]
               ) -> tuple[bool, str | None]:  # fmt: skip
    """Is there a way to try again, and does it open a new hosted flow."""
    button = page.locator(web.retry_button).first
    try:
        if not (button.count() and button.is_visible()):
            return False, None
        button.click(timeout=OPEN_SECONDS * 1000)
    except PlaywrightError:
        return False, None
    hosted = _wait(page, lambda: _hosted_frame(page, other_than=first_hosted), OPEN_SECONDS)
    if hosted is None:
        shoot(page, "trying again opened no new flow")
        return True, None
    _wait_visible(hosted, '[data-testid="flow-status"]')
    shoot(page, "the new flow after trying again")
    return True, log.document(hosted.url)


def _loaded(page: Page) -> None:
    """After a redirect back, until the partner's page has loaded (it may still be on its way)."""
    try:
        page.wait_for_load_state(timeout=OPEN_SECONDS * 1000)
    except PlaywrightError:
        return  # the page went on elsewhere; the next screenshot shows where


def _wait_visible(frame: Frame, selector: str) -> None:
    try:
        frame.locator(selector).wait_for(state="visible", timeout=OPEN_SECONDS * 1000)
    except PlaywrightError as error:
        raise AssertionError(f"the hosted flow at {frame.url} never showed {selector}: {error.message}") from None


def _stored(page: Page, log: BrowserLog) -> tuple[StoredValue, ...]:
    """Every frame's localStorage and sessionStorage, and the context's cookies."""
    stored = []
    for frame in page.frames:
        if not frame.url.startswith(("http://", "https://")):
            continue  # about:blank shares its parent's storage
        try:
            entries = frame.evaluate(READ_STORAGE)
        except PlaywrightError:
            continue
        stored += [StoredValue(place, key, value, log.document(frame.url)) for place, key, value in entries]
    document = log.document(page.url)
    stored += [StoredValue("cookie", c["name"], c["value"], document) for c in page.context.cookies()]
    return tuple(stored)


def _wait(page: Page, probe: Callable[[], T | None], seconds: float) -> T | None:
    """Poll `probe` until it gives something, or None after `seconds`; the page's wait lets browser events arrive."""
    deadline = time.monotonic() + seconds
    while True:
        found = probe()
        if found or time.monotonic() >= deadline:
            return found or None
        page.wait_for_timeout(POLL_MS)


def _without_fragment(url: str) -> str:
    return url.split("#", 1)[0]
