"""Partner-web rules: each judges what a real browser saw of the partner's web app during one scenario.

The browser saw every request the app's pages made and every answer they got, the pages' storage and cookies, how
the hosted flow came back (the redirect to the partner's URL, or the postMessage to its page) and what the page
showed afterwards. Evidence names the request behind each verdict, like the other suites.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from conformance.checks.partner_backend import FrontendExchange
from conformance.evidence import Verdict, carries_partner_token, verdict

# E1, E2 and E3: the calls that need the partner's credentials, which only its backend may hold
CREDENTIAL_PATHS = ("/v1/coe/partner/authentication", "/v2/coe/authentication", "/coe-partner/v1/initiate-flow")


@dataclass(frozen=True)
class StoredValue:
    """One entry of a page's localStorage or sessionStorage, or a cookie, and the page it was read on."""

    place: str  # localStorage | sessionStorage | cookie
    key: str
    value: str
    page: str  # the page's document request, as evidence names it


@dataclass(frozen=True)
class FlowReturn:
    """How the hosted flow handed the user back to the partner."""

    channel: str  # redirect | postMessage
    status: str | None  # COMPLETED | ERROR
    partner_session_id: str | None
    error_code: str | None
    via: str  # the return request, or the hosted page that posted the message

    def describe(self) -> str:
        """The return as evidence names it."""
        if self.channel == "redirect":
            return self.via
        code = f" {self.error_code}" if self.error_code else ""
        return f"{self.via} posted {self.status}{code}"


@dataclass(frozen=True)
class WebFlow:
    """One "Verify with KTP" as the browser went through it, and what the page showed afterwards."""

    mode: str  # redirect | iframe
    expected: str  # what the page owes the user: "result", "failure" (an error or unverified card) or "timeout"
    start: str  # the sign-up page's document request
    hosted: str | None  # the hosted flow's page, once it opened
    returned: FlowReturn | None
    shown: dict[str, str]  # ktpData key -> what the form control shows after the return
    selectors: dict[str, str]  # ktpData key -> the form control
    failure: str | None  # the failure text the page showed
    retry_offered: bool = False
    retried: str | None = None  # the new hosted page that "try again" opened
    truth: dict[str, str] | None = None  # the card's ktpData
    waited_seconds: float = 0.0  # how long the harness waited for the page after the return
    exchanges: tuple[FrontendExchange, ...] = ()  # every request the browser made during the flow, with its answer
    stored: tuple[StoredValue, ...] = ()

    @property
    def anchor(self) -> str:
        """The request that evidence about what followed the return names."""
        if self.returned is not None:
            return self.returned.describe()
        return self.hosted or self.start

    @property
    def filled(self) -> bool:
        """The page put something into the form: it showed the flow's result."""
        return any(value.strip() for value in self.shown.values())


@dataclass(frozen=True)
class WebRun:
    """Everything one scenario's browser saw of the partner's web app."""

    flows: tuple[WebFlow, ...]
    gateway_origins: tuple[str, ...]  # where the gateway answers (its API and its hosted pages)
    pass_key: str = ""

    def of(self, expected: str, *more: str) -> list[WebFlow]:
        """The flows that owed the user one of these outcomes."""
        return [flow for flow in self.flows if flow.expected in (expected, *more)]


def web_01_launch_url_from_backend(run: WebRun) -> Verdict:
    """The browser never calls the gateway's credential paths and never holds the pass-key or a partner token."""
    if not run.flows:
        return Verdict("skip", ("no flow ran in a browser",))
    offending = []
    exchanges = [exchange for flow in run.flows for exchange in flow.exchanges]
    for exchange in exchanges:
        parts = urlsplit(exchange.url)
        if f"{parts.scheme}://{parts.netloc}" in run.gateway_origins and parts.path in CREDENTIAL_PATHS:
            offending.append(f"{exchange.describe()}: the browser called the gateway's {parts.path} itself")
        offending += [f"{exchange.describe()}: the answer contains {secret}" for secret in _secrets(run, exchange.body)]
    for stored in (value for flow in run.flows for value in flow.stored):
        offending += [f"{stored.page}: {stored.place} {stored.key!r} holds {secret}"
                      for secret in _secrets(run, stored.value)]  # fmt: skip
    stored = sum(len(flow.stored) for flow in run.flows)
    held = (f"{len(exchanges)} browser requests, none to the gateway's token or initiate-flow paths; no pass-key or "
            f"partner token in their answers or in {stored} stored values")  # fmt: skip
    return verdict(list(dict.fromkeys(offending)), held)  # a page that tries again leaks the same way again


def web_02_handles_the_return(run: WebRun) -> Verdict:
    """After a successful return (redirect or postMessage) the page shows the flow's result: the form is filled."""
    flows = run.of("result")
    if not flows:
        return Verdict("skip", ("no flow ended with a result to show",))
    offending, held = [], []
    for flow in flows:
        if flow.hosted is None:
            offending.append(f"{flow.start}: the hosted flow never opened")
        elif flow.returned is None:
            offending.append(f"{flow.hosted}: the hosted flow never returned to the partner's page")
        elif flow.returned.status != "COMPLETED":
            offending.append(f"{flow.anchor}: returned {flow.returned.status}, not COMPLETED")
        elif not flow.filled:
            offending.append(f"{flow.anchor}: no result shown: the form was still empty {flow.waited_seconds:.0f} s "
                             f"after the {flow.returned.channel}")  # fmt: skip
        else:
            held.append(f"{flow.anchor}: the form was filled after the {flow.returned.channel} ({flow.mode} mode)")
    return verdict(offending, "; ".join(held))


def web_03_fills_the_card(run: WebRun) -> Verdict:
    """Every auto-filled form control equals the card's ground truth exactly."""
    flows = [flow for flow in run.of("result") if flow.filled and flow.truth]
    if not flows:
        return Verdict("skip", ("no form was filled from a card",))
    offending, compared = [], 0
    for flow in flows:
        truth = flow.truth or {}
        for key, shown in flow.shown.items():
            compared += 1
            if shown != truth.get(key):
                offending.append(f"{flow.anchor}: {key} ({flow.selectors[key]}) shows {shown!r}, the card says "
                                 f"{truth.get(key)!r}")  # fmt: skip
    return verdict(offending, f"{compared} form field(s) over {len(flows)} flow(s) equal the cards")


def web_04_failure_and_retry(run: WebRun) -> Verdict:
    """A failure or a timeout is shown, with a way to try again that starts a new flow."""
    flows = run.of("failure", "timeout")
    if not flows:
        return Verdict("skip", ("no flow failed or timed out",))
    offending, held = [], []
    for flow in flows:
        what = "timeout" if flow.expected == "timeout" else "failure"
        if flow.failure is None:
            offending.append(f"{flow.anchor}: no {what} shown within {flow.waited_seconds:.0f} s")
        elif not flow.retry_offered:
            offending.append(f"{flow.anchor}: the {what} ({flow.failure!r}) offers no way to try again")
        elif flow.retried is None:
            offending.append(f"{flow.anchor}: trying again after the {what} did not open a new flow")
        else:
            held.append(f"{flow.anchor}: {what} {flow.failure!r} shown; trying again opened {flow.retried}")
    return verdict(offending, "; ".join(held))


def _secrets(run: WebRun, text: str) -> list[str]:
    """What in `text` the browser must never hold: the pass-key, a partner token."""
    found = ["the pass-key"] if run.pass_key and run.pass_key in text else []
    if carries_partner_token(text):
        found.append("a partner token")
    return found
