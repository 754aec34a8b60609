"""`ktp-sandbox serve`: uvicorn in front of the gateway, a start-up banner, and a graceful stop."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import uvicorn

from mock_gateway.app import GatewayApp, create_app
from mock_gateway.journal import mask_text
from mock_gateway.sandbox import Sandbox
from mock_gateway.settings import DEMO_PARTNER, ENV_PREFIX, SCALAR_FIELDS, Settings, load_settings
from mock_gateway.version import package_version

CONFIG_ENV = "KTP_SANDBOX_CONFIG"
DEMO_CALLBACK_ENV = "KTP_SANDBOX_DEMO_CALLBACK_URL"


class MaskSecrets(logging.Filter):
    """Access-log lines carry presigned URLs; their signatures are credentials."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_text(str(record.msg))
        record.args = tuple(mask_text(arg) if isinstance(arg, str) else arg for arg in (record.args or ()))
        return True


class GracefulServer(uvicorn.Server):
    """uvicorn re-raises SIGTERM/SIGINT after its shutdown, which would end the process before the sandbox stops."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Shut down on the signal, then return normally."""
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def settings_from_environment() -> Settings:
    """What `serve` passed down to its HTTP worker processes."""
    config = os.environ.get(CONFIG_ENV)
    settings = load_settings(Path(config) if config else None)
    callback_url = os.environ.get(DEMO_CALLBACK_ENV)
    return settings.with_demo_callback(callback_url) if callback_url else settings


def worker_app() -> GatewayApp:
    """uvicorn's factory for each HTTP worker process; processing and callbacks run in the parent only."""
    return create_app(settings_from_environment(), start_workers=False)


def serve(settings: Settings, config: Path | None, callback_url: str | None, access_log: bool) -> None:
    """Run until SIGINT/SIGTERM, then let in-flight work finish; queued work stays in the data dir."""
    if callback_url:
        settings = settings.with_demo_callback(callback_url)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("uvicorn.access").addFilter(MaskSecrets())
    for chatty in ("httpx", "connexion"):  # callback attempts are in the journal; connexion lists its specs
        logging.getLogger(chatty).setLevel(logging.WARNING)
    sandbox = Sandbox.build(settings)
    print(banner(settings), flush=True)
    sandbox.start()
    options = {"host": settings.host, "port": settings.port, "access_log": access_log, "log_level": "warning",
               "timeout_graceful_shutdown": 10}  # fmt: skip
    try:
        if settings.http_workers > 1:
            _pass_down(settings, config, callback_url)
            uvicorn.run("mock_gateway.serve:worker_app", factory=True, workers=settings.http_workers, **options)
        else:
            GracefulServer(uvicorn.Config(GatewayApp(sandbox), **options)).run()
    finally:
        sandbox.stop()
        print("ktp-sandbox: stopped; queued processing and callbacks are kept in the data dir", flush=True)


def _pass_down(settings: Settings, config: Path | None, callback_url: str | None) -> None:
    """Worker processes rebuild the same settings from the environment."""
    if config is not None:
        os.environ[CONFIG_ENV] = str(config.resolve())
    for name in SCALAR_FIELDS:
        os.environ[ENV_PREFIX + name.upper()] = str(getattr(settings, name))
    if callback_url:
        os.environ[DEMO_CALLBACK_ENV] = callback_url


def banner(settings: Settings) -> str:
    """Where everything is, and the demo credentials."""
    base = settings.base_url
    demo = settings.partner(DEMO_PARTNER.client_id)
    lines = [
        f"KTP Scan sandbox {package_version()}: mock IAB gateway (KTP Scan v1.2)",
        f"  Gateway         {base}  (token paths and API paths on one host)",
        f"  OpenAPI         {base}/openapi.json   control plane: {base}/__mock/openapi.json",
        f"  Control plane   {base}/__mock/  (header x-mock-admin-key: {settings.admin_key})",
        f"  Data dir        {settings.data_dir.resolve()}",
        f"  Workers         http {settings.http_workers}, processing {settings.processing_workers}",
    ]
    if demo is not None:
        lines += [
            f"  Demo partner    client-id {demo.client_id}   pass-key {demo.pass_key}",
            f"                  onboarding partners {', '.join(demo.onboarding_partners)}",
            f"                  callback {demo.callback.method} {demo.callback.url or '(none: use --callback-url)'}",
        ]
    others = [p.client_id for p in settings.partners if p.client_id != DEMO_PARTNER.client_id]
    if others:
        lines.append(f"  Partners        {', '.join(others)}")
    return "\n".join(lines)


