"""Settings: embedded defaults, then the TOML file, then KTP_SANDBOX_* variables, then CLI flags."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from mock_gateway.settings import DEMO_PARTNER, CallbackAuth, SettingsError, load_settings
from mock_gateway.store import ImageStore

CONFIG = """
[gateway]
port = 9090
max_attempts = 5

[[partners]]
client_id = "acme"
pass_key = "acme-pass"
onboarding_partners = ["ACME-SDK-KTP_SCAN"]
[partners.callback]
url = "http://127.0.0.1:9000/cb"
method = "PUT"
retry_schedule_seconds = [2, 4]
[partners.callback.auth]
kind = "api_key"
header_name = "x-acme-key"
api_key = "k-123"
"""


def test_defaults_have_the_demo_partner_and_the_documented_values() -> None:
    settings = load_settings(environ={})
    assert settings.partners == (DEMO_PARTNER,)
    assert (settings.port, settings.max_attempts, settings.upload_max_bytes, settings.base_url) == (
        8080, 3, 10 * 1024 * 1024, "http://127.0.0.1:8080")  # fmt: skip
    assert DEMO_PARTNER.onboarding_partners == ("DEMO-SDK-KTP_SCAN", "DEMO-WEB_SDK-KTP_SCAN")


def test_file_then_environment_then_flags(tmp_path: Path) -> None:
    config = tmp_path / "sandbox.toml"
    config.write_text(CONFIG)
    settings = load_settings(config, environ={"KTP_SANDBOX_MAX_ATTEMPTS": "4", "KTP_SANDBOX_PORT": "7070"}, port=6060)
    assert (settings.port, settings.max_attempts) == (6060, 4)
    acme = settings.partner("acme")
    assert [p.client_id for p in settings.partners] == ["demo-client", "acme"]
    assert (acme.callback.method, acme.callback.retry_schedule_seconds) == ("PUT", (2.0, 4.0))
    assert acme.callback.auth == CallbackAuth(kind="api_key", header_name="x-acme-key", api_key="k-123")
    assert acme.callback.auth.headers() == {"x-acme-key": "k-123"}
    moved = settings.with_demo_callback("http://127.0.0.1:1/cb")
    assert (moved.partner("demo-client").callback.url, moved.partner("acme").callback.url) == (
        "http://127.0.0.1:1/cb", "http://127.0.0.1:9000/cb")  # fmt: skip


def test_the_demo_partner_can_be_switched_off(tmp_path: Path) -> None:
    config = tmp_path / "sandbox.toml"
    config.write_text("demo_partner = false\n" + CONFIG)
    assert [p.client_id for p in load_settings(config, environ={}).partners] == ["acme"]


@pytest.mark.parametrize(("text", "environ", "message"), [
    ("[gateway]\nprot = 1\n", {}, "unknown setting(s): prot"),
    ("[gatway]\n", {}, "unknown section(s): gatway"),
    ("", {"KTP_SANDBOX_MAX_ATTEMPTS": "three"}, "setting max_attempts: 'three' is not a valid int"),
    ("[[partners]]\nname = 'x'\n", {}, "bad [[partners]] entry '?'"),
    ("[gateway\n", {}, "cannot read config"),
])  # fmt: skip
def test_bad_configuration_is_one_clear_error(tmp_path: Path, text: str, environ: dict, message: str) -> None:
    config = tmp_path / "sandbox.toml"
    config.write_text(text)
    with pytest.raises(SettingsError, match=re.escape(message)):
        load_settings(config, environ=environ)


def test_images_expire_after_their_ttl(tmp_path: Path) -> None:
    store = ImageStore(tmp_path)
    store.put("old", b"\xff\xd8old", "image/jpeg")
    store.put("new", b"\x89PNGnew", "image/png")
    a_week_ago = time.time() - 8 * 86_400
    os.utime(tmp_path / "old.jpg", (a_week_ago, a_week_ago))
    assert store.purge(time.time() - 7 * 86_400) == 1
    assert (store.get("old"), store.get("new")) == (None, (b"\x89PNGnew", "image/png"))
