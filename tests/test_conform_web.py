"""The partner-web suite end to end, and the reference sign-up page in a real Chromium.

`ktp-sandbox conform --suite partner-web` runs as a partner's CI would: the reference web app passes every WEB
rule and each web defect switch fails exactly its rule, with a screenshot of every step in the report. The sign-up
page is also driven directly, by redirect and in an iframe, against a real mock and an in-process reference backend.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from flask.testing import FlaskClient
from PIL import Image

from conformance.browser import card_video, chromium
from conformance.plugin import make_card, reset_gateway
from conformance.reference.partner_backend import PartnerBackendConfig, create_app, shutdown
from conformance.reference.partner_backend.web import FIELDS
from conformance.rules import rules_of
from conformance.runner import DEFECTS, Conform, ConformError, run
from conformance.targets import REFERENCE_TARGET, TargetError, load_target
from tests.partner_backend_support import Backend, BackendHost, backends, card
from tests.test_conform import NAMES_A_REQUEST, Run, conform

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

WEB_SWITCHES = [defect for defect, (suite, _) in DEFECTS.items() if suite == "partner-web"]
PARALLEL_RUNS = 3
SCENARIOS = 5
STEP_SHOTS = ["the sign-up page", "the hosted KTP scan", "back on the partner's page"]
FORGED = {"type": "onekyc.ktp_scan.result", "status": "ERROR", "partnerSessionId": "forged", "errorCode": "X"}


# --- ktp-sandbox conform --suite partner-web -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """The reference web app, and each web defect switch on its own."""
    root = tmp_path_factory.mktemp("conform-web")
    jobs = {"reference": ()} | {defect: ("--defect", defect) for defect in WEB_SWITCHES}
    with ThreadPoolExecutor(PARALLEL_RUNS) as pool:
        futures = {name: pool.submit(conform, root / name, "--suite", "partner-web", "--reference", *arguments)
                   for name, arguments in jobs.items()}  # fmt: skip
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.slow
def test_the_reference_web_app_passes_every_web_rule(runs: dict[str, Run]) -> None:
    run = runs["reference"]
    assert run.exit_status == 0, run.output
    assert run.statuses() == {rule.id: "pass" for rule in rules_of("partner-web")}, run.output
    assert run.report["score"] == 100 and len(run.report["scenarios"]) == SCENARIOS
    assert run.report["durationSeconds"] < 60


@pytest.mark.slow
def test_every_web_rule_has_a_defect_switch() -> None:
    assert sorted(DEFECTS[defect][1] for defect in WEB_SWITCHES) == [rule.id for rule in rules_of("partner-web")]


@pytest.mark.slow
@pytest.mark.parametrize("defect", WEB_SWITCHES)
def test_each_web_defect_fails_exactly_its_rule(runs: dict[str, Run], defect: str) -> None:
    run = runs[defect]
    rule = DEFECTS[defect][1]
    assert set(run.failed()) == {rule}, run.output
    assert all(NAMES_A_REQUEST.search(line) for line in run.failed()[rule]), run.failed()[rule]
    assert run.exit_status == 1 and run.report["mustFailures"] == [rule]


@pytest.mark.slow
def test_the_evidence_says_what_the_browser_saw(runs: dict[str, Run]) -> None:
    leaks = "\n".join(runs["browser-gets-partner-token"].failed()["WEB-01"])
    assert re.search(r"GET http://127\.0\.0\.1:\d+/debug/partner-token -> 200: the answer contains a partner token",
                     leaks)  # fmt: skip
    assert re.search(r"POST http://127\.0\.0\.1:\d+/coe-partner/v1/initiate-flow -> None: the browser called the "
                     r"gateway's /coe-partner/v1/initiate-flow itself", leaks)  # fmt: skip
    assert "sessionStorage 'onekyc.partnerToken' holds a partner token" in leaks
    ignored = runs["ignore-return"].failed()["WEB-02"]
    assert len(ignored) == 2 and all("no result shown: the form was still empty" in line for line in ignored)
    assert "status=COMPLETED" in ignored[0] + ignored[1] and "posted COMPLETED" in ignored[0] + ignored[1]
    truth = make_card(1, "camera").truth
    assert truth is not None
    swapped = runs["fill-wrong-fields"].failed()["WEB-03"]
    assert sum(line.endswith(f"town (#town) shows {truth['district']!r}, the card says {truth['town']!r}")
               for line in swapped) == 2  # fmt: skip
    assert len(swapped) == 4
    stuck = runs["no-retry-on-failure"].failed()["WEB-04"]
    scenarios = ["The user cancels the scan in the iframe", "The user's token expires while the page waits for the "
                 "verdict", "The result never reaches the partner"]  # fmt: skip
    assert len(stuck) == len(scenarios)
    for line, scenario in zip(stuck, scenarios, strict=True):
        assert line.startswith(f"Failed and unfinished scans: {scenario}: ") and "offers no way to try again" in line
    assert "error_code=TOKEN_EXPIRED" in stuck[1] and "posted ERROR USER_CANCELLED" in stuck[0]


@pytest.mark.slow
def test_the_report_shows_a_screenshot_of_every_step(runs: dict[str, Run]) -> None:
    report_dir = runs["reference"].report_dir
    html = (report_dir / "report.html").read_text()
    for scenario in runs["reference"].report["scenarios"]:
        names = [attachment["name"] for attachment in scenario["attachments"]]
        assert names[:3] == STEP_SHOTS, scenario["name"]
        assert names[3] in ("the result the page shows", "the failure the page shows"), scenario["name"]
        for attachment in scenario["attachments"]:
            assert attachment["mime"] == "image/jpeg"
            with Image.open(report_dir / attachment["path"]) as shot:
                assert shot.format == "JPEG" and shot.width >= 1000
            assert f'<img src="{quote(attachment["path"])}"' in html
    failures = [s for s in runs["reference"].report["scenarios"] if s["attachments"][3]["name"].startswith("the fail")]
    assert len(failures) == 3
    assert all(s["attachments"][-1]["name"] == "the new flow after trying again" for s in failures)


# --- what a run refuses before it starts ------------------------------------------------------------------------------


def test_a_web_defect_belongs_to_the_partner_web_suite(tmp_path: Path) -> None:
    with pytest.raises(ConformError, match="belongs to the partner-web suite"):
        Conform("partner-backend", tmp_path, reference=True, defects=("fill-wrong-fields",)).validate()
    with pytest.raises(ConformError, match="partner-web suite needs --target FILE or --reference"):
        Conform("partner-web", tmp_path).validate()


def test_a_target_without_a_web_table_cannot_run_the_web_suite(tmp_path: Path) -> None:
    target = tmp_path / "backend-only.toml"
    web = REFERENCE_TARGET.read_text().split("\n[web]", 1)
    target.write_text(web[0])
    with pytest.raises(ConformError, match=r"needs a \[web\] table in .*backend-only\.toml"):
        run(Conform("partner-web", tmp_path / "report", target_file=target))


def test_the_web_table_reads_one_mode_or_both(tmp_path: Path) -> None:
    reference = load_target(REFERENCE_TARGET, {"backend_port": "5000"}).web
    assert reference is not None and reference.modes == ("redirect", "iframe")
    assert reference.start_page("iframe", "u-1") == "http://127.0.0.1:5000/signup?mode=iframe&wait=5"
    assert set(reference.fields) == set(FIELDS)
    base = REFERENCE_TARGET.read_text().split("\n[web]", 1)[0]
    one = tmp_path / "one.toml"
    one.write_text(base + '\n[web]\nstart_url = "http://x/{user_id}"\nverify_button = "text=Verify"\n'
                   '[web.fields]\nnik = "#nik"\n')  # fmt: skip
    web = load_target(one).web
    assert web is not None
    assert (web.modes, web.failure, web.result_wait_seconds) == (("redirect",), "[role=alert]", 60.0)
    assert web.start_page("redirect", "u-1") == "http://x/u-1"
    one.write_text(base + '\n[web]\nstart_url = "x"\nverify_button = "#v"\nmode = "popup"\n[web.fields]\n')
    with pytest.raises(TargetError, match="mode must be redirect, iframe or both"):
        load_target(one)
    one.write_text(base + '\n[web]\nstart_url = "x"\n')
    with pytest.raises(TargetError, match=r"\[web\] needs verify_button, fields"):
        load_target(one)


# --- the reference sign-up page ---------------------------------------------------------------------------------------


def test_the_page_carries_no_secret_and_the_debug_endpoint_exists_only_with_its_defect(tmp_path: Path) -> None:
    def page(*defects: str) -> FlaskClient:
        config = PartnerBackendConfig(gateway_url="http://127.0.0.1:9", callback_token="callback-secret",
                                      pass_key="pass-key-secret", db_path=tmp_path / f"{len(defects)}.sqlite3",
                                      fallback_after_seconds=3600, defects=frozenset(defects))  # fmt: skip
        app = create_app(config)
        apps.append(app)
        return app.test_client()

    apps: list = []
    clean = page()
    html = clean.get("/signup?mode=popup&wait=9999").text
    settings = json.loads(re.search(r'<script type="application/json" id="settings">(.+?)</script>', html)[1])
    assert (settings["mode"], settings["waitSeconds"], settings["defects"]) == ("redirect", 300.0, [])
    assert settings["returnUrl"] == "http://localhost/signup/return?mode=redirect&wait=300"
    assert "secret" not in html and all(f'id="{key}"' in html for key in FIELDS)
    assert clean.get("/debug/partner-token").status_code == 404
    assert page("browser-gets-partner-token").get("/signup").status_code == 200
    for app in apps:
        shutdown(app)


@pytest.fixture
def make(host: BackendHost, gateway_url: str, tmp_path: Path) -> Iterator[Callable[..., Backend]]:
    with reset_gateway(gateway_url) as gateway:
        yield from backends(host, gateway, tmp_path)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """One Chromium filming the card for the module's tests."""
    from playwright.sync_api import sync_playwright

    image, _ = card()
    video = card_video(Image.open(BytesIO(image)), tmp_path_factory.mktemp("camera"))
    with sync_playwright() as playwright:
        browser = chromium(playwright, video)
        yield browser
        browser.close()


def form(page: Page) -> dict[str, str]:
    return {key: page.input_value(f"#{key}") for key in FIELDS}


@pytest.mark.slow
def test_redirect_mode_fills_the_form_from_its_backend(make: Callable[..., Backend], browser: Browser,
                                                       host: BackendHost, gateway_url: str) -> None:  # fmt: skip
    from playwright.sync_api import expect

    backend = make()
    _, truth = card()
    page = browser.new_page()
    page.goto(f"{host.url}/signup?mode=redirect&wait=15")
    page.click("#verify")
    page.wait_for_url(f"{gateway_url}/kyc/v2/index.html#/launch-v1?token=*")
    page.wait_for_url(re.compile(r"/signup/return\?"), timeout=60_000)
    query = parse_qs(urlsplit(page.url).query)
    assert (query["mode"], query["status"]) == (["redirect"], ["COMPLETED"])
    expect(page.locator("#nik")).to_have_value(truth["nik"], timeout=15_000)
    assert form(page) == {key: truth[key] for key in FIELDS}
    assert page.locator("#status").inner_text().startswith("KTP verified")
    assert backend.status(query["partner_session_id"][0])["verified"] is True
    page.close()


@pytest.mark.slow
def test_iframe_mode_trusts_only_the_hosted_frames_message(make: Callable[..., Backend], browser: Browser,
                                                           host: BackendHost, gateway_url: str) -> None:  # fmt: skip
    from playwright.sync_api import expect

    make()
    _, truth = card()
    page = browser.new_page()
    page.goto(f"{host.url}/signup?mode=iframe&wait=15")
    page.click("#verify")
    flow = page.locator("#flow")
    expect(flow).to_have_attribute("src", re.compile(rf"^{re.escape(gateway_url)}/kyc/v2/index\.html#"))
    assert flow.get_attribute("allow") == "camera" and page.locator("#verify").is_hidden()
    expect(page.frame_locator("#flow").locator('[data-testid="flow-status"]')).to_be_visible()
    page.evaluate("message => window.postMessage(message, '*')", FORGED)  # the page's own origin, not the flow's
    expect(page.locator("#nik")).to_have_value(truth["nik"], timeout=60_000)
    assert form(page) == {key: truth[key] for key in FIELDS}
    assert page.locator("#failure").is_hidden() and page.locator("#flow-box").is_hidden()
    assert page.url == f"{host.url}/signup?mode=iframe&wait=15"
    page.close()
