"""Targets: a partner's system in TOML, read strictly, and the adapter that drives its front-end API."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from conformance.targets import REFERENCE_TARGET, TargetError, TemplateFrontend, frontend_of, load_target
from mock_gateway.settings import CallbackAuth, load_settings

TARGET = """
name = "acme"
hook = "{hook}"
[credentials]
client_id = "acme-client"
pass_key = "acme-pass-key"
[backend]
base_url = "http://acme.test"
[backend.start]
method = "post"
path = "/kyc/{{user_id}}/start"
json = {{ source = "WEB_SDK", note = "{{unknown}} stays" }}
launch_url = "$.data.url"
[backend.result]
path = "/kyc/{{partner_session_id}}"
verified = "$.ok"
pending = "$.state"
pending_values = ["WAITING"]
[backend.result.fields]
nik = "$.person.nik"
[callback]
url = "http://acme.test/hooks/onekyc"
method = "PUT"
[callback.auth]
kind = "basic"
username = "iab"
password = "s3cret"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "target.toml"
    path.write_text(text)
    return path


def acme_api(request: httpx.Request) -> httpx.Response:
    """A partner front-end API: a start that answers a launchUrl, and a result that is pending, then verified."""
    if request.url.path == "/kyc/u-1/start":
        assert json.loads(request.content) == {"source": "WEB_SDK", "note": "{unknown} stays"}
        return httpx.Response(201, json={"data": {"url": "https://gw.test/kyc/v2/index.html#/launch-v1?token=eyJ.a.b"}})
    state = "WAITING" if request.headers.get("x-round") == "1" else "DONE"
    return httpx.Response(200, json={"ok": state == "DONE", "state": state, "person": {"nik": "3171234567890001"}})


def test_a_target_is_read_with_its_placeholders_filled(tmp_path: Path) -> None:
    target = load_target(write(tmp_path, TARGET.format(hook="")), {"unused": "x"})
    assert (target.name, target.base_url, target.credentials.client_id) == ("acme", "http://acme.test", "acme-client")
    assert target.start.request.render({"user_id": "u-1"})[:2] == ("POST", "/kyc/u-1/start")
    assert target.callback.auth == {"kind": "basic", "username": "iab", "password": "s3cret"}


def test_the_template_frontend_starts_a_web_flow_and_reads_the_result(tmp_path: Path) -> None:
    target = load_target(write(tmp_path, TARGET.format(hook="")).with_name("target.toml"))
    with httpx.Client(transport=httpx.MockTransport(acme_api)) as http:
        frontend = TemplateFrontend(target, http)
        exchange, token, session = frontend.start_flow("u-1")
        assert (exchange.status, token, session) == (201, "eyJ.a.b", None)
        result = frontend.read_result("ps-1")
        assert (result.verified, result.fields, frontend.pending(result)) == (True, {"nik": "3171234567890001"}, False)
        http.headers["x-round"] = "1"
        assert frontend.pending(frontend.read_result("ps-1"))


def test_the_partner_entry_onboards_the_target_at_the_mock(tmp_path: Path) -> None:
    target = load_target(write(tmp_path, TARGET.format(hook="")))
    (tmp_path / "gateway.toml").write_text(target.partner_toml())
    partner = load_settings(tmp_path / "gateway.toml", environ={}).partner("acme-client")
    assert partner is not None and partner.pass_key == "acme-pass-key"
    assert (partner.callback.url, partner.callback.method) == ("http://acme.test/hooks/onekyc", "PUT")
    assert partner.callback.auth == CallbackAuth(kind="basic", username="iab", password="s3cret")


def test_the_reference_target_reads(tmp_path: Path) -> None:
    target = load_target(REFERENCE_TARGET, {"backend_port": "5001", "gateway_url": "http://127.0.0.1:8080",
                                            "work_dir": str(tmp_path), "python": "python", "defects": ""})  # fmt: skip
    assert target.base_url == "http://127.0.0.1:5001" and len(target.result.fields) == 19
    assert "http://127.0.0.1:8080" in target.command


@pytest.mark.parametrize(("change", "message"), [
    (lambda text: text.replace('url = "http://acme.test/hooks/onekyc"', ""), "[callback] needs url"),
    (lambda text: text.replace("[backend.result]", "[backend.results]"), "[backend.result] needs path"),
    (lambda text: text.replace('verified = "$.ok"', 'verified = "$.[["'), "bad JSONPath '$.[['"),
    (lambda text: text.replace("[backend.start]", "[backend.begin]"), "[backend] needs start"),
    (lambda text: text + "[[", "cannot read target"),
])  # fmt: skip
def test_a_broken_target_names_what_is_wrong(tmp_path: Path, change, message: str) -> None:
    with pytest.raises(TargetError, match=re.escape(message)):
        load_target(write(tmp_path, change(TARGET.format(hook=""))))


def test_a_hook_replaces_the_templates(tmp_path: Path) -> None:
    target = load_target(write(tmp_path, TARGET.format(hook="tests.test_targets:hooked_frontend")))
    with httpx.Client() as http:
        assert frontend_of(target, http) == ("hooked", target.name)
    missing = load_target(write(tmp_path, TARGET.format(hook="tests.test_targets:nothing_here")))
    with pytest.raises(TargetError, match=re.escape("cannot load hook 'tests.test_targets:nothing_here'")), \
            httpx.Client() as http:  # fmt: skip
        frontend_of(missing, http)


def hooked_frontend(target, http):
    """The hook the target names: gets the target and the harness's HTTP client."""
    return ("hooked", target.name)
