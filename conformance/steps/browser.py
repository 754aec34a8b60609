"""Partner-web steps: a real Chromium goes through the partner's sign-up page and the hosted KTP scan.

The browser sees what the user's browser would (every request and answer, storage, the return, the form), and each
step of a flow leaves a screenshot in the report. A browser is launched per card: its fake camera plays one file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from pytest_bdd import given, parsers, then, when

from conformance.checks.partner_backend import DETAILS
from conformance.checks.partner_web import WebRun
from conformance.plugin import KtpGateway
from conformance.report import Attachment
from conformance.steps.context import RunSettings, Scorecard, World
from conformance.steps.gateway_scenarios import override
from conformance.steps.verdicts import judge, rule_ids
from conformance.targets import Target

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from conformance.web_driver import Browsers

SCREENSHOTS = Path("screenshots")  # under the report directory


@pytest.fixture(scope="session")
def ktp_browsers(ktp_run: RunSettings) -> Iterator[Browsers]:
    """The run's browsers, closed with Playwright at the end of the session (which loads only in suites that use it)."""
    from playwright.sync_api import sync_playwright

    from conformance.web_driver import Browsers

    with sync_playwright() as playwright:
        yield Browsers(playwright, Path(ktp_run.work_dir) / "camera")


@given("the partner's backend never gets the result")
def result_withheld(gateway_under_test: KtpGateway, world: World) -> None:
    """No callback gets through and Get Submission Details answers 503, so the partner's page must give up waiting."""
    override(gateway_under_test, world, "no-result", callback={"failTimes": 99})
    for operation in DETAILS:
        override(gateway_under_test, world, match={"operation": operation}, fault={"status": 503})


@when(parsers.re(r"the user verifies with KTP in (?P<mode>redirect|iframe) mode(?P<cancel> and cancels)?"))
def user_verifies(mode: str, cancel: str | None, world: World, ktp_target: Target, ktp_run: RunSettings,
                  ktp_browsers: Browsers, ktp_scorecard: Scorecard) -> None:  # fmt: skip
    """Open the sign-up page, press its verify button and scan the scenario's card (or cancel, with no camera)."""
    from conformance.web_driver import FlowPlan, verify_with_ktp

    web = ktp_target.web
    assert web is not None, f"{ktp_target.name} has no [web] table"
    if mode not in web.modes:
        pytest.skip(f"{ktp_target.name} runs the hosted flow by {' and '.join(web.modes)} only")
    card = None if cancel else world.captures()[-1]
    truth = card.truth if card is not None and card.expected == "VALID" else None
    plan = FlowPlan(mode, world.user_id(), bool(cancel), truth, "no-result" in world.faults)
    context = ktp_browsers.showing(card).new_context()
    try:
        world.web_flows.append(verify_with_ktp(context, web, plan, _shooter(ktp_run, ktp_scorecard, world)))
    finally:
        context.close()


@then(parsers.re(r"the partner web app follows (?P<rules>.+)"))
def partner_web_follows(rules: str, world: World, ktp_run: RunSettings, ktp_scorecard: Scorecard) -> None:
    """Judge partner-web rules (WEB-xx) on what the browser saw in this scenario."""
    gateway = urlsplit(ktp_run.gateway_url)
    run = WebRun(tuple(world.web_flows), (f"{gateway.scheme}://{gateway.netloc}",), ktp_run.credentials.pass_key)
    judge(ktp_scorecard, world, rule_ids(rules), [run])


def _shooter(run: RunSettings, scorecard: Scorecard, world: World) -> Callable[[Page, str], None]:
    """Screenshots into the report directory, attached to the scenario in the order they were taken."""
    from playwright.sync_api import Error as PlaywrightError

    folder = SCREENSHOTS / _slug(world.name)

    def shoot(page: Page, label: str) -> None:
        shots = scorecard.attachments.setdefault(world.name, [])
        path = folder / f"{len(shots) + 1:02d}-{_slug(label)}.jpeg"
        try:
            (Path(run.report_dir) / folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=Path(run.report_dir) / path, type="jpeg", quality=70, full_page=True)
        except PlaywrightError:
            return  # the page was between two documents; the next step's screenshot shows where it went
        shots.append(Attachment(label, path.as_posix(), "image/jpeg"))

    return shoot


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80]
