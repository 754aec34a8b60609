"""The dashboard at /__mock/ui in real Chromium, against a real `ktp-sandbox serve` driven through the gateway API."""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from conformance.plugin import (
    ADMIN_KEY,
    DEMO_CLIENT_ID,
    DEMO_PASS_KEY,
    DEMO_SDK_PARTNER,
    free_port,
    make_card,
    serving_gateway,
)
from conformance.reference.sdk_simulator import SdkSimulator
from tests.serve_support import Receiver

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = pytest.mark.slow

SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "dashboard.png"
WRITE_DOCS = os.environ.get("KTP_SANDBOX_WRITE_DOCS") == "1"  # only then does the run refresh docs/dashboard.png
ADMIN = {"x-mock-admin-key": ADMIN_KEY}
WAIT_MS = 15_000  # the page polls every 2 s; processing and the callback take about a second more


@dataclass(frozen=True)
class Gateway:
    """The served gateway and a client of it."""

    base: str
    http: httpx.Client

    def control(self, method: str, path: str, **kwargs: object) -> object:
        """A control-plane call as the operator; its `data`."""
        response = self.http.request(method, f"/__mock{path}", headers=ADMIN, **kwargs)
        response.raise_for_status()
        return response.json()["data"]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """`ktp-sandbox serve` with the demo partner called back at a local receiver, and SDK polls every 300 ms."""
    work_dir = tmp_path_factory.mktemp("dashboard")
    receiver = Receiver()
    config = work_dir / "gateway.toml"
    config.write_text(
        "[gateway]\npoll_after_ms = 300\n\n[[partners]]\n"
        f'client_id = "{DEMO_CLIENT_ID}"\npass_key = "{DEMO_PASS_KEY}"\nname = "Demo partner"\n'
        f'onboarding_partners = ["{DEMO_SDK_PARTNER}"]\n[partners.callback]\nurl = "{receiver.url}"\n'
    )  # fmt: skip
    try:
        with serving_gateway(work_dir, free_port(), config) as base, httpx.Client(base_url=base, timeout=30) as http:
            yield Gateway(base, http)
    finally:
        receiver.server.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, without a camera (the dashboard needs none)."""
    from conformance.browser import chromium

    with playwright_api.sync_playwright() as playwright:
        launched = chromium(playwright, None)
        yield launched
        launched.close()


@pytest.fixture
def page(gateway: Gateway, browser: object) -> Iterator[object]:
    """A fresh tab on a reset sandbox, signed in with the prefilled default admin key."""
    gateway.control("POST", "/reset")
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    tab = context.new_page()
    response = tab.goto(f"{gateway.base}/__mock/ui")
    assert "default-src 'self'" in response.headers["content-security-policy"]  # no asset from anywhere else
    expect(tab.locator("#admin-key")).to_have_value(ADMIN_KEY)  # the server still runs with the default key
    tab.locator("#admin-key").press("Enter")
    expect(tab.locator("#health")).to_contain_text("Live", timeout=WAIT_MS)
    yield tab
    context.close()


def run_flow(gateway: Gateway, session_id: str, image: bytes) -> str:
    """What a partner backend and the reference SDK do (E1, E3, then E4–E7); the final submission id."""
    credentials = {"client-id": DEMO_CLIENT_ID, "pass-key": DEMO_PASS_KEY}
    partner_token = gateway.http.get("/v1/coe/partner/authentication", headers=credentials).json()["data"]["token"]
    flow = gateway.http.post("/coe-partner/v1/initiate-flow", json={"flow": "KTP_SCAN", "source": "SDK"}, headers={
        "x-onekyc-token": partner_token, "x-onboarding-partner": DEMO_SDK_PARTNER, "x-partner-user-id": "user-ui",
        "x-partner-user-id-type": "CLIENT_X_USER_ID", "x-partner-session-id": session_id,
    })  # fmt: skip
    sdk = SdkSimulator(gateway.base, flow.json()["data"]["token"], session_id, capture=lambda attempt: image)
    result = sdk.launch()
    assert result.status == "COMPLETED", result
    return result.submission_id


def tab_to(page: object, selector: str, limit: int = 60) -> None:
    """Press Tab until `selector` has the focus, as a keyboard user would."""
    target = page.locator(selector)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("node => node === document.activeElement"):
            return
    raise AssertionError(f"{selector} is not reachable with Tab")


def test_a_flow_appears_live_with_its_image_fields_and_timeline(gateway: Gateway, page: object) -> None:
    card = make_card(seed=7)
    page.evaluate("window.notReloaded = true")
    session_id = f"dash-{uuid.uuid4().hex[:8]}"

    submission_id = run_flow(gateway, session_id, card.image)

    row = page.locator(f'#submissions-table tr[data-key="{submission_id}"]')
    expect(row).to_contain_text("COMPLETED", timeout=WAIT_MS)
    expect(row).to_contain_text("VALID")
    expect(row).to_contain_text("EXIT")
    expect(page.locator(f'#sessions-table tr[data-key="{session_id}"]')).to_contain_text("user-ui")
    assert page.evaluate("window.notReloaded") is True  # it arrived by polling, not by a reload

    page.locator("#main").focus()
    tab_to(page, f'#submissions-table tr[data-key="{submission_id}"]')
    page.keyboard.press("Enter")
    expect(page.locator("#detail-title")).to_have_text(f"Submission {submission_id}")
    expect(page.locator("#detail-title")).to_be_focused()
    assert page.evaluate("location.hash") == f"#submission/{submission_id}"

    image = page.locator("#detail-image")
    expect(image).to_have_attribute("src", re.compile(r"^blob:"), timeout=WAIT_MS)
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") > 0
    read = page.eval_on_selector_all(
        "#detail-fields tbody tr", "rows => Object.fromEntries(rows.map(r => [r.dataset.field, "
        "r.querySelector('td.read').textContent]))",
    )  # fmt: skip
    assert read == card.truth
    expect(page.locator("#detail-verdict")).to_contain_text("OK")

    manifest_line = json.dumps({"image": "000007.jpg", "truth": card.truth, "expected": {
        "quality": "OK", "outcome": {"status": "COMPLETED", "result": "VALID", "reasonCode": ""}}})  # fmt: skip
    page.locator("#truth-file").set_input_files(
        files=[{"name": "manifest.jsonl", "mimeType": "application/json", "buffer": manifest_line.encode()}]
    )
    expect(page.locator("#detail-fields tr.matches")).to_have_count(len(card.truth))
    expect(page.locator("#detail-fields tr.differs")).to_have_count(0)
    expect(page.locator("#detail-outcome .mismatch")).to_have_count(0)
    expect(page.locator("#detail-outcome .match")).to_have_count(3)  # status, result, reasonCode
    expect(page.locator("#detail-expected-source")).to_contain_text("manifest")

    callback = page.locator("#events li.kind-callback")
    expect(callback).to_have_count(1, timeout=WAIT_MS)
    expect(callback).to_contain_text("attempt 1")
    expect(callback.locator(".status")).to_have_text("200")
    codes = page.eval_on_selector_all("#events li .op", "nodes => nodes.map(n => n.textContent)")
    assert [code for code in codes if code != "E7"][:5] == ["E3", "E4", "E5", "E6", "Callback"]
    assert codes.count("E7") >= 1
    expect(page.locator("#deliveries")).to_contain_text("delivered")

    urls = [entry["url"] for entry in gateway.control("GET", "/journal", params={"limit": 1000})["entries"]]
    assert urls and not [url for url in urls if url.startswith("/__mock")]  # the page's own polling is not journaled

    if WRITE_DOCS:
        page.locator("#events li.kind-callback summary").click()
        page.screenshot(path=str(SCREENSHOT), full_page=True)


def test_overrides_are_created_and_deleted_from_the_page(gateway: Gateway, page: object) -> None:
    form = page.locator("#scenario-form")
    form.locator("select[name=matchOn]").select_option("partnerUserId")
    form.locator("input[name=matchValue]").fill("user-42")
    form.locator("select[name=outcomeStatus]").select_option("COMPLETED")
    form.locator("select[name=outcomeResult]").select_option("INVALID")
    form.locator("input[name=reasonCode]").fill("NOT_EKTP")
    form.locator("input[name=failTimes]").fill("2")
    form.locator("input[name=duplicate]").check()
    form.locator("input[name=badSignature]").check()
    form.locator("input[name=times]").fill("3")
    form.locator("[data-testid=create-override]").press("Enter")

    expect(page.locator("#scenarios-table tbody tr")).to_have_count(1, timeout=WAIT_MS)
    [stored] = gateway.control("GET", "/scenarios")
    assert {key: stored[key] for key in ("match", "outcome", "callback", "times", "remaining")} == {
        "match": {"partnerUserId": "user-42"},
        "outcome": {"status": "COMPLETED", "result": "INVALID", "reasonCode": "NOT_EKTP"},
        "callback": {"failTimes": 2, "duplicate": True, "badSignature": True},
        "times": 3, "remaining": 3,
    }  # fmt: skip
    expect(page.locator("#scenarios-table")).to_contain_text("partnerUserId = user-42")

    page.locator("[data-testid=create-override]").click()
    expect(page.locator("#scenario-error")).to_have_text("Choose at least one effect.")

    page.get_by_role("button", name=f"Delete override {stored['id']}").press("Enter")
    expect(page.locator("#scenarios-table tbody tr")).to_have_count(0, timeout=WAIT_MS)
    assert gateway.control("GET", "/scenarios") == []


def test_reset_asks_first_and_forgets_everything(gateway: Gateway, page: object) -> None:
    gateway.control("POST", "/scenarios", json={"retryReason": "GLARE_DETECTED"})
    expect(page.locator("#scenarios-table tbody tr")).to_have_count(1, timeout=WAIT_MS)

    page.locator("#reset").click()
    page.locator("#reset-dialog button[value=cancel]").click()
    assert len(gateway.control("GET", "/scenarios")) == 1

    page.locator("#reset").click()
    page.locator("[data-testid=confirm-reset]").click()
    expect(page.locator("#scenarios-table tbody tr")).to_have_count(0, timeout=WAIT_MS)
    assert gateway.control("GET", "/scenarios") == []
    expect(page.locator("#announcer")).to_contain_text("scenarios 1")


def test_sign_in_refuses_a_wrong_key_and_accepts_a_partner(gateway: Gateway, browser: object) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark")
    page = context.new_page()
    page.goto(f"{gateway.base}/__mock/ui")
    page.locator("#admin-key").fill("not-the-key")
    page.locator("#admin-key").press("Enter")
    expect(page.locator("#login-error")).to_have_text("The control plane refused these credentials.")

    page.locator("#client-id").fill(DEMO_CLIENT_ID)
    page.locator("#pass-key").fill(DEMO_PASS_KEY)
    page.locator("#pass-key").press("Enter")
    expect(page.locator("#who-label")).to_have_text(f"Partner {DEMO_CLIENT_ID}")
    assert page.evaluate("JSON.parse(sessionStorage.getItem('ktp-sandbox.dashboard.auth')).clientId") == DEMO_CLIENT_ID

    page.reload()  # the key is kept for the tab
    expect(page.locator("#who-label")).to_have_text(f"Partner {DEMO_CLIENT_ID}")
    layout = page.evaluate(
        "({columns: getComputedStyle(document.getElementById('app')).gridTemplateColumns.split(' ').length,"
        " overflow: document.documentElement.scrollWidth - window.innerWidth,"
        " background: getComputedStyle(document.body).backgroundColor})"
    )
    assert layout == {"columns": 1, "overflow": 0, "background": "rgb(15, 20, 25)"}  # narrow and dark
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    context.close()


@pytest.mark.parametrize(("admin_key", "prefilled"), [(ADMIN_KEY, ADMIN_KEY), ("a-key-of-our-own", None)])
def test_only_the_built_in_admin_key_is_prefilled(tmp_path: Path, admin_key: str, prefilled: str | None) -> None:
    from mock_gateway.app import create_app
    from mock_gateway.settings import Settings

    app = create_app(Settings(data_dir=tmp_path, admin_key=admin_key), start_workers=False)
    html = app.test_client().get("/__mock/ui").text
    config = json.loads(re.search(r'id="dashboard-config">(.*?)</script>', html).group(1))
    assert config["defaultAdminKey"] == prefilled
    assert admin_key not in html or prefilled == admin_key
