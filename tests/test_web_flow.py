"""The hosted web flow behind the launchUrl: its session lookup and assets in-process, then the page itself in real
Chromium, with a synthetic card in front of the fake camera, against a real `ktp-sandbox serve`."""

from __future__ import annotations

import html
import itertools
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Locator, Page, Playwright, Route, expect, sync_playwright

from conformance.browser import card_video, chromium
from conformance.plugin import KtpGateway, KtpJournal, free_port, serving_gateway
from mock_gateway.domain.views import UI_MESSAGES
from mock_gateway.web.texts import page_texts
from synthetic_ktp.dataset import generate_card
from tests.gateway_support import WEB_PARTNER, Gateway, failure

PARTNER = "https://partner.test"  # never resolved: the browser's requests to it are answered by `partner_site`
SUCCESS_URL = f"{PARTNER}/kyc/done?flow=signup"
FAILURE_URL = f"{PARTNER}/kyc/failed"
TESTIDS = ("capture", "cancel", "flow-status", "retry-reason", "upload-file", "preview")
POLL_AFTER_MS = 250  # the served gateway's pollAfterMs: fast flows, and a pace the page must still keep
RESULT_TIMEOUT_MS = 30_000
slow = pytest.mark.slow


def web_body(locale: str = "en_ID", theme: str = "NO_PREFERENCE", partner: str = PARTNER) -> dict[str, Any]:
    """An initiate-flow body for the hosted page, returning to `partner`."""
    return {
        "flow": "KTP_SCAN", "source": "WEB_SDK", "successRedirectionUrl": SUCCESS_URL.replace(PARTNER, partner),
        "failureRedirectionUrl": FAILURE_URL.replace(PARTNER, partner), "theme": theme,
        "additionalDetails": {"userLocale": locale},
    }  # fmt: skip


def retry_text(locale: str, reason: str, attempts_left: int) -> str:
    """The retry reason exactly as the page must show it."""
    title, advice = UI_MESSAGES[locale][reason]
    left = {"en_ID": "Attempts left", "id_ID": "Sisa percobaan"}[locale]
    return f"{title}. {advice}. {left}: {attempts_left}"


# --- in-process: the session lookup, the page and its assets --------------------------------------------------------


def launch_token(gateway: Gateway, partner_session_id: str, body: dict[str, Any]) -> str:
    """E3 for the web flow; the user token the launchUrl carries."""
    response = gateway.initiate(partner_session_id, body, **{"x-onboarding-partner": WEB_PARTNER})
    assert response.status_code == 200, response.text
    return response.json()["data"]["launchUrl"].split("token=", 1)[1]


def session_lookup(gateway: Gateway, token: str | None) -> httpx.Response:
    """GET /kyc/v2/session as the page sends it."""
    return gateway.client.get("/kyc/v2/session", headers={"x-onekyc-token": token} if token else {})


def test_the_session_lookup_answers_what_initiate_flow_stored(gateway: Gateway) -> None:
    token = launch_token(gateway, "ps-web-settings", web_body("en_ID", "DARK_MODE"))

    response = session_lookup(gateway, token)

    assert (response.status_code, response.json()) == (200, {"success": True, "data": {
        "partnerSessionId": "ps-web-settings", "theme": "DARK_MODE", "locale": "en_ID",
        "successRedirectionUrl": SUCCESS_URL, "failureRedirectionUrl": FAILURE_URL, "attemptsAllowed": 3,
        "ended": None,
    }})  # fmt: skip


def test_the_session_lookup_refuses_tokens_that_open_no_web_session(gateway: Gateway) -> None:
    sdk_flow = gateway.session("ps-sdk-flow").token
    token = launch_token(gateway, "ps-web-forged", web_body())
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")

    for refused in (None, "not-a-jwt", forged, sdk_flow, gateway.user_token(), gateway.partner_token()):
        response = session_lookup(gateway, refused)
        assert (response.status_code, response.json()) == (401, failure("110", "UNAUTHORIZED")), refused


def test_an_expired_launch_token_is_refused_but_still_names_the_way_back(gateway: Gateway) -> None:
    token = launch_token(gateway, "ps-web-expired", web_body())
    gateway.clock.advance(gateway.settings.user_token_seconds)

    response = session_lookup(gateway, token)

    assert (response.status_code, response.json()) == (401, failure("110", "UNAUTHORIZED") | {"data": {
        "partnerSessionId": "ps-web-expired", "failureRedirectionUrl": FAILURE_URL,
    }})  # fmt: skip


def test_the_launch_url_serves_the_page_and_its_own_assets_without_journaling_them(gateway: Gateway) -> None:
    page = gateway.client.get("/kyc/v2/index.html")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for testid in TESTIDS:
        assert f'data-testid="{testid}"' in page.text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sorted(assets) == ["/kyc/v2/static/flow.css", "/kyc/v2/static/main.js"], "no CDN, nothing external"
    for name, content_type in (("main.js", "text/javascript"), ("api.js", "text/javascript"),
                               ("capture.js", "text/javascript"), ("ending.js", "text/javascript"),
                               ("ui.js", "text/javascript"), ("flow.css", "text/css")):  # fmt: skip
        asset = gateway.client.get(f"/kyc/v2/static/{name}")
        assert (asset.status_code, asset.headers["content-type"].split(";")[0]) == (200, content_type), name
    assert gateway.client.get("/kyc/v2/static/missing.js").status_code == 404
    session_lookup(gateway, launch_token(gateway, "ps-web-quiet", web_body()))
    assert [entry.operation for entry in gateway.journal()] == ["tokens.partner_token", "flows.initiate_flow"]


@pytest.mark.parametrize("path", ["/kyc/v2/session", "/kyc/v2/index.html", "/__mock/ui"])
def test_a_wrong_method_on_a_page_names_the_methods_it_has(gateway: Gateway, path: str) -> None:
    response = gateway.client.post(path)
    assert (response.status_code, response.headers["allow"]) == (405, "GET, HEAD, OPTIONS")


def test_both_locales_have_every_word_of_the_page() -> None:
    english, indonesian = (page_texts()[locale] for locale in ("en_ID", "id_ID"))

    assert set(english) == set(indonesian)
    assert set(english["retryReasons"]) == set(indonesian["retryReasons"]) == {
        "GLARE_DETECTED", "BLUR_DETECTED", "OBSTRUCTION_DETECTED", "KTP_NOT_DETECTED", "LOW_RESOLUTION",
    }  # fmt: skip


# --- in Chromium, against `ktp-sandbox serve` -----------------------------------------------------------------------


@dataclass
class WebGateway:
    """The served gateway, from the partner's side: open flows, read results, steer the mock."""

    api: KtpGateway

    def launch(self, partner_session_id: str, locale: str = "en_ID", theme: str = "NO_PREFERENCE",
               partner: str = PARTNER) -> str:  # fmt: skip
        """E3 (WEB_SDK) as the partner backend calls it; the launchUrl."""
        headers = {
            "x-onekyc-token": self.api.partner_token(), "x-onboarding-partner": WEB_PARTNER,
            "x-partner-user-id": "web-user", "x-partner-user-id-type": "CLIENT_X_USER_ID",
            "x-partner-session-id": partner_session_id,
        }  # fmt: skip
        body = web_body(locale, theme, partner)
        response = self.api.client.post("/coe-partner/v1/initiate-flow", headers=headers, json=body)
        assert response.status_code == 200, response.text
        return response.json()["data"]["launchUrl"]

    def details(self, partner_session_id: str) -> dict[str, Any]:
        """E8 by partner session: what the partner backend learns after the return."""
        response = self.api.client.get("/coe/v1/submissions", headers={
            "x-onekyc-token": self.api.partner_token(), "x-partner-session-id": partner_session_id,
        })  # fmt: skip
        assert response.status_code == 200, response.text
        return response.json()["data"]

    def operations(self, partner_session_id: str) -> list[dict[str, Any]]:
        """The session's journal entries, oldest first."""
        return KtpJournal(self.api).entries(partnerSessionId=partner_session_id)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebGateway]:
    """One `ktp-sandbox serve` for the module, polled every POLL_AFTER_MS."""
    work_dir = tmp_path_factory.mktemp("web-flow")
    config = work_dir / "gateway.toml"
    config.write_text(f"[gateway]\npoll_after_ms = {POLL_AFTER_MS}\n")
    with serving_gateway(work_dir, free_port(), config) as base_url, httpx.Client(base_url=base_url) as client:
        yield WebGateway(KtpGateway(base_url, client))


@pytest.fixture
def web(served: WebGateway) -> WebGateway:
    """The served gateway, reset."""
    served.api.reset()
    return served


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """One Playwright driver for the module (browsers are launched per card)."""
    with sync_playwright() as driver:
        yield driver


def partner_site(route: Route) -> None:
    """The partner's front end where the page sends the user back: any page will do."""
    route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>partner</title>")


class FramingPage:
    """A partner page that frames the launchUrl (`/?launch=…`) and keeps every message it gets in `results`.

    Served for real on loopback: Chromium's local network access checks refuse to let a page without an address
    (a routed one) frame a loopback origin. Its origin, http://localhost:PORT, differs from the gateway's.
    """

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                launch = html.escape(parse_qs(urlsplit(self.path).query).get("launch", [""])[0])
                body = (
                    "<!doctype html><title>partner host</title><script>window.results = [];"
                    "addEventListener('message', (event) => results.push({origin: event.origin, data: event.data}));"
                    f'</script><iframe src="{launch}" allow="camera" width="400" height="700"></iframe>'
                ).encode()
                self.send_response(200)
                self.send_header("content-type", "text/html")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://localhost:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def framing_page() -> Iterator[FramingPage]:
    """The partner's framing page, for the module."""
    page = FramingPage()
    yield page
    page.server.shutdown()


@dataclass
class Browsers:
    """Chromium for one test, launched per camera picture (the fake camera's file is fixed at launch)."""

    playwright: Playwright
    directory: Path

    @contextmanager
    def page(self, camera: Image.Image | None, **context: Any) -> Iterator[Page]:
        """A page of a fresh browser whose camera films `camera` (None: a browser without a camera)."""
        browser = chromium(self.playwright, None if camera is None else card_video(camera, self.directory))
        try:
            page = browser.new_page(**context)
            page.route(f"{PARTNER}/**", partner_site)
            yield page
        finally:
            browser.close()


@pytest.fixture
def browsers(playwright: Playwright, tmp_path: Path) -> Browsers:
    """Browsers whose camera files live in the test's directory."""
    return Browsers(playwright, tmp_path)


def returned(page: Page) -> tuple[str, dict[str, list[str]]]:
    """Where the page sent the user back to, and with which query."""
    page.wait_for_url(f"{PARTNER}/**", timeout=RESULT_TIMEOUT_MS)
    url = urlsplit(page.url)
    return f"{url.scheme}://{url.netloc}{url.path}", parse_qs(url.query)


def by_testid(page: Page, name: str) -> Locator:
    """A locator by data-testid."""
    return page.locator(f'[data-testid="{name}"]')


def success(partner_session_id: str) -> tuple[str, dict[str, list[str]]]:
    """The success return: the partner's own query kept, status and partner_session_id added."""
    return f"{PARTNER}/kyc/done", {"flow": ["signup"], "status": ["COMPLETED"], "partner_session_id": [
        partner_session_id]}  # fmt: skip


def failure_return(partner_session_id: str, error_code: str) -> tuple[str, dict[str, list[str]]]:
    """The failure return with its error_code."""
    return FAILURE_URL, {"status": ["ERROR"], "partner_session_id": [partner_session_id], "error_code": [error_code]}


@slow
def test_a_steady_card_is_auto_captured_and_the_user_returns_completed(web: WebGateway, browsers: Browsers) -> None:
    card = generate_card(11, "camera")
    launch = web.launch("ps-web-happy")

    with browsers.page(card.image, viewport={"width": 390, "height": 844}) as page:
        page.goto(launch)
        expect(by_testid(page, "preview")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, "fits a phone's width"
        landed = returned(page)

    assert landed == success("ps-web-happy")
    details = web.details("ps-web-happy")
    assert (details["status"], details["result"]) == ("COMPLETED", "VALID")
    assert details["submissionDetails"]["ktpData"] == card.truth.to_ktp_data()
    entries = [e for e in web.operations("ps-web-happy") if e["operation"].startswith(("submissions.", "storage."))]
    operations = [e["operation"] for e in entries]
    polls = operations.count("submissions.submission_status")
    assert operations == ["submissions.presigned_urls", "storage.upload_document", "submissions.confirm_submission",
                          *["submissions.submission_status"] * polls]  # fmt: skip
    assert entries[1]["request"]["body"]["contentType"] == "image/jpeg"
    sdk_sessions = {e["sdkSessionId"] for e in entries if e["operation"] != "storage.upload_document"}
    assert len(sdk_sessions) == 1, "one x-sdk-session-id per page load"
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", sdk_sessions.pop())
    polled_at = [datetime.fromisoformat(e["at"]) for e in entries if e["operation"] == "submissions.submission_status"]
    gaps = [(later - earlier).total_seconds() * 1000 for earlier, later in itertools.pairwise(polled_at)]
    assert all(gap >= POLL_AFTER_MS - 10 for gap in gaps), f"polls paced by pollAfterMs: {gaps}"


@slow
def test_a_glare_card_then_a_clean_card_in_a_relaunched_browser_completes_with_the_clean_cards_fields(
    web: WebGateway, browsers: Browsers
) -> None:
    glare, clean = generate_card(21, "camera", "retry-glare"), generate_card(22, "camera")
    launch = web.launch("ps-web-two-cards")

    with browsers.page(glare.image) as page:  # the user holds up a card under a lamp
        page.goto(launch)
        expect(by_testid(page, "retry-reason")).to_have_text(retry_text("en_ID", "GLARE_DETECTED", 2),
                                                             timeout=RESULT_TIMEOUT_MS)  # fmt: skip
    with browsers.page(clean.image) as page:  # a new camera picture needs a new browser: the same link, attempt 2
        page.goto(launch)
        landed = returned(page)

    assert landed == success("ps-web-two-cards")
    details = web.details("ps-web-two-cards")
    assert (details["result"], details["submissionDetails"]["ktpData"]) == ("VALID", clean.truth.to_ktp_data())
    confirms = [e for e in web.operations("ps-web-two-cards") if e["operation"] == "submissions.confirm_submission"]
    assert len(confirms) == 2 and confirms[0]["submissionId"] != confirms[1]["submissionId"]


@slow
def test_a_retry_shows_the_reason_in_the_users_locale_then_completes(web: WebGateway, browsers: Browsers) -> None:
    card = generate_card(12, "camera", "retry-then-valid")
    launch = web.launch("ps-web-retry", locale="id_ID")

    with browsers.page(card.image) as page:
        page.goto(launch)
        reason = by_testid(page, "retry-reason")
        expect(reason).to_have_text(retry_text("id_ID", "GLARE_DETECTED", 2), timeout=RESULT_TIMEOUT_MS)
        assert page.evaluate("document.documentElement.lang") == "id"
        landed = returned(page)

    assert landed == success("ps-web-retry")
    details = web.details("ps-web-retry")
    assert (details["result"], details["submissionDetails"]["ktpData"]) == ("VALID", card.truth.to_ktp_data())


@slow
def test_after_the_last_refused_attempt_the_flow_exits_completed(web: WebGateway, browsers: Browsers) -> None:
    launch = web.launch("ps-web-exit", locale="en_ID")

    with browsers.page(generate_card(13, "camera", "retry-glare").image) as page:
        page.goto(launch)
        reason = by_testid(page, "retry-reason")
        expect(reason).to_have_text(retry_text("en_ID", "GLARE_DETECTED", 2), timeout=RESULT_TIMEOUT_MS)
        expect(reason).to_have_text(retry_text("en_ID", "GLARE_DETECTED", 1), timeout=RESULT_TIMEOUT_MS)
        landed = returned(page)

    assert landed == success("ps-web-exit"), "an INVALID card still completes the flow"
    details = web.details("ps-web-exit")
    assert (details["result"], details["reasonCode"]) == ("INVALID", "IMAGE_QUALITY_INSUFFICIENT")
    attempts = [e for e in web.operations("ps-web-exit") if e["operation"] == "submissions.presigned_urls"]
    assert [e["response"]["status"] for e in attempts] == [200, 200, 200], "no fourth attempt after EXIT"

    with browsers.page(None) as page:  # the user opens the link again after the flow ended
        page.goto(launch)
        again = returned(page)
    assert again == success("ps-web-exit"), "the reloaded page returns the user with how the session ended"
    assert len([e for e in web.operations("ps-web-exit") if e["operation"] == "submissions.presigned_urls"]) == 3


@slow
def test_an_expired_token_sends_the_user_to_the_failure_url(web: WebGateway, browsers: Browsers) -> None:
    launch = web.launch("ps-web-expired")
    web.api.override(match={"partnerSessionId": "ps-web-expired"}, fault={"expireToken": True})

    with browsers.page(generate_card(14, "camera").image) as page:
        page.goto(launch)
        landed = returned(page)

    assert landed == failure_return("ps-web-expired", "TOKEN_EXPIRED")
    calls = [(e["operation"], e["response"]["status"]) for e in web.operations("ps-web-expired")]
    assert calls[1:] == [("submissions.presigned_urls", 401)], "stops at the first 401"


@slow
def test_transient_failures_are_retried_after_a_growing_pause(web: WebGateway, browsers: Browsers) -> None:
    launch = web.launch("ps-web-503")
    web.api.override(match={"partnerSessionId": "ps-web-503", "operation": "submissions.presigned_urls"},
                     fault={"status": 503}, times=2)  # fmt: skip

    with browsers.page(generate_card(18, "camera").image) as page:
        page.goto(launch)
        landed = returned(page)

    assert landed == success("ps-web-503")
    slots = [e for e in web.operations("ps-web-503") if e["operation"] == "submissions.presigned_urls"]
    assert [e["response"]["status"] for e in slots] == [503, 503, 200]
    at = [datetime.fromisoformat(e["at"]) for e in slots]
    pauses = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(at)]
    assert pauses[0] >= 0.49 and pauses[1] >= 0.99, f"backoff 0.5 s, then 1 s: {pauses}"


@slow
def test_in_an_iframe_the_result_is_posted_to_the_partner_origin_only(
    web: WebGateway, browsers: Browsers, framing_page: FramingPage
) -> None:
    own = web.launch("ps-web-iframe", partner=framing_page.origin)
    foreign = web.launch("ps-web-iframe-foreign")  # its redirection URLs name another origin than the framing page

    with browsers.page(generate_card(15, "camera").image) as page:
        results = []
        for launch in (own, foreign):
            page.goto(f"{framing_page.origin}/?launch={quote(launch, safe='')}")
            status = page.frame_locator("iframe").locator('[data-testid="flow-status"]')
            expect(status).to_have_text("Done. You can continue.", timeout=RESULT_TIMEOUT_MS)
            page.wait_for_timeout(200)
            assert page.url.startswith(framing_page.origin), "the partner's page stays; the frame does not redirect"
            results.append(page.evaluate("window.results"))

    assert results == [[{"origin": web.api.base_url, "data": {
        "type": "onekyc.ktp_scan.result", "status": "COMPLETED", "partnerSessionId": "ps-web-iframe", "errorCode": None,
    }}], []]  # fmt: skip


@slow
def test_without_a_camera_a_chosen_photo_is_submitted(web: WebGateway, browsers: Browsers) -> None:
    card = generate_card(16, "camera")
    launch = web.launch("ps-web-upload", locale="en_ID")

    with browsers.page(None) as page:
        page.goto(launch)
        expect(by_testid(page, "flow-status")).to_have_text("Choose a photo of your KTP")
        expect(by_testid(page, "preview")).to_be_hidden()
        picker = by_testid(page, "upload-file")
        picker.set_input_files(files=[{"name": "notes.jpg", "mimeType": "image/jpeg", "buffer": b"not a photo"}])
        expect(by_testid(page, "flow-status")).to_have_text("That file is not a photo we can read. Choose another one.")
        picker.set_input_files(files=[{"name": "ktp.jpg", "mimeType": "image/jpeg", "buffer": card.photo.jpeg_file}])
        landed = returned(page)

    assert landed == success("ps-web-upload")
    assert web.details("ps-web-upload")["submissionDetails"]["ktpData"] == card.truth.to_ktp_data()
    uploads = [e for e in web.operations("ps-web-upload") if e["operation"] == "storage.upload_document"]
    assert len(uploads) == 1, "an unreadable file is never uploaded"


@slow
def test_an_empty_view_is_not_auto_captured_and_the_buttons_work_from_the_keyboard(
    web: WebGateway, browsers: Browsers
) -> None:
    launch = web.launch("ps-web-buttons", locale="en_ID")

    with browsers.page(Image.new("RGB", (1280, 960), (200, 200, 200))) as page:
        page.goto(launch)
        expect(by_testid(page, "flow-status")).to_have_text("Place your KTP inside the frame")
        page.wait_for_timeout(1500)
        assert [e["operation"] for e in web.operations("ps-web-buttons")] == ["flows.initiate_flow"], "no auto-capture"
        by_testid(page, "capture").focus()
        page.keyboard.press("Enter")
        reason = by_testid(page, "retry-reason")
        expect(reason).to_have_text(retry_text("en_ID", "KTP_NOT_DETECTED", 2), timeout=RESULT_TIMEOUT_MS)
        by_testid(page, "cancel").focus()
        page.keyboard.press("Enter")
        landed = returned(page)

    assert landed == failure_return("ps-web-buttons", "USER_CANCELLED")


@slow
def test_polling_gives_up_after_two_minutes_with_session_timeout(web: WebGateway, browsers: Browsers) -> None:
    launch = web.launch("ps-web-timeout")
    web.api.override(match={"partnerSessionId": "ps-web-timeout"}, processingDelayMs=600_000)

    with browsers.page(generate_card(17, "camera").image) as page:
        page.clock.install()  # the page's clock runs on, until it is fast-forwarded past the polling limit
        page.goto(launch)
        expect(by_testid(page, "flow-status")).to_have_text("Checking your KTP…", timeout=RESULT_TIMEOUT_MS)
        page.clock.fast_forward("02:01")
        landed = returned(page)

    assert landed == failure_return("ps-web-timeout", "SESSION_TIMEOUT")


@slow
def test_the_theme_is_forced_or_follows_the_device(web: WebGateway, browsers: Browsers) -> None:
    backgrounds = {"dark": "rgb(18, 20, 23)", "light": "rgb(255, 255, 255)"}
    cases = (("DARK_MODE", "light", "dark"), ("LIGHT_MODE", "dark", "light"), ("NO_PREFERENCE", "dark", "dark"),
             ("NO_PREFERENCE", "light", "light"))  # fmt: skip

    with browsers.page(None) as page:
        body = page.locator("body")
        for theme, device, shown in cases:
            launch = web.launch(f"ps-web-theme-{theme}-{device}", theme=theme)
            page.emulate_media(color_scheme=device)
            page.goto("about:blank")  # launchUrls differ in their fragment only: load the page afresh
            page.goto(launch)
            expect(by_testid(page, "upload-file")).to_be_visible()
            expect(body).to_have_css("background-color", backgrounds[shown])
        page.emulate_media(color_scheme="dark")
        expect(body).to_have_css("background-color", backgrounds["dark"])  # NO_PREFERENCE follows a change live


@slow
def test_a_launch_url_with_a_token_that_is_not_ours_is_a_dead_link(web: WebGateway, browsers: Browsers) -> None:
    launch = web.launch("ps-web-dead-link")
    forged = launch[: launch.index("token=") + len("token=")] + "eyJhbGciOiJIUzI1NiJ9.e30.forged"

    with browsers.page(None) as page:
        page.goto(forged)
        expect(by_testid(page, "flow-status")).to_have_text("Tautan ini tidak valid atau sudah kedaluwarsa.")
        expect(by_testid(page, "cancel")).to_be_disabled()
        assert page.url == forged, "nowhere to send the user back to"

    assert [e["operation"] for e in web.operations("ps-web-dead-link")] == ["flows.initiate_flow"]
