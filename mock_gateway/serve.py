"""`ktp-sandbox serve`: uvicorn in front of the gateway, a start-up banner, and a graceful stop."""

from __future__ import annotations

import base64
import contextlib
import ctypes
import logging
import os
import pickle
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator

import uvicorn

from mock_gateway.app import GatewayApp
from mock_gateway.journal import mask_text
from mock_gateway.sandbox import Sandbox
from mock_gateway.settings import DEMO_PARTNER, Settings
from mock_gateway.version import package_version

CONNEXION_IMPORT_WARNING = "Using `httpx` with `starlette.testclient`"
WORKER_ENV = "KTP_SANDBOX_HTTP_WORKER"  # the parent's settings and socket, handed to an HTTP worker process
PR_SET_PDEATHSIG = 1
M_ARENA_MAX = -8


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


def serve(settings: Settings, access_log: bool) -> None:
    """Run until SIGINT/SIGTERM, then let in-flight work finish; queued work stays in the data dir.

    This process serves HTTP and runs the processing pool and the callbacks; each further HTTP worker is a child
    process on the same socket that only serves HTTP, so it never loads the OCR stack.
    """
    _configure_logging()
    _limit_malloc_arenas()
    sandbox = Sandbox.build(settings)
    config = _uvicorn_config(GatewayApp(sandbox), settings, access_log)
    sock = config.bind_socket()
    print(banner(settings), flush=True)
    sandbox.start()
    helpers = [_start_http_worker(sock, settings, access_log) for _ in range(settings.http_workers - 1)]
    try:
        GracefulServer(config).run(sockets=[sock])
    finally:
        for helper in helpers:
            helper.terminate()
        for helper in helpers:
            helper.wait(15)
        sandbox.stop()
        print("ktp-sandbox: stopped; queued processing and callbacks are kept in the data dir", flush=True)


def _limit_malloc_arenas() -> None:
    """glibc gives each busy thread its own heap; the OCR and WSGI threads would keep tens of MB more resident."""
    with contextlib.suppress(AttributeError, OSError):  # not glibc: nothing to tune
        ctypes.CDLL(None).mallopt(M_ARENA_MAX, 2)


def _configure_logging() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("ktp_sandbox").setLevel(logging.INFO)
    # The upload takes image/jpeg and image/png on purpose; the handler reads the real content type itself.
    logging.getLogger("connexion.operations.openapi3").setLevel(logging.ERROR)
    logging.getLogger("uvicorn.access").addFilter(MaskSecrets())


def _uvicorn_config(app: GatewayApp, settings: Settings, access_log: bool) -> uvicorn.Config:
    return uvicorn.Config(app, host=settings.host, port=settings.port, access_log=access_log, log_level="warning",
                          timeout_graceful_shutdown=10)  # fmt: skip


def _start_http_worker(sock: socket.socket, settings: Settings, access_log: bool) -> subprocess.Popen:
    """A child process that serves HTTP on this process's socket and imports only the web stack."""
    handoff = base64.b64encode(pickle.dumps((settings, access_log, sock.fileno(), os.getpid()))).decode()
    environment = {**os.environ, WORKER_ENV: handoff, "PYTHONWARNINGS": f"ignore:{CONNEXION_IMPORT_WARNING}"}
    return subprocess.Popen([sys.executable, "-m", "mock_gateway.serve"], pass_fds=(sock.fileno(),), env=environment)


def _http_worker() -> None:
    """The child's side: serve until SIGTERM, or until the parent is gone (even after a kill -9)."""
    settings, access_log, fd, parent = pickle.loads(base64.b64decode(os.environ[WORKER_ENV]))
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:
        return
    _configure_logging()
    _limit_malloc_arenas()
    app = GatewayApp(Sandbox.build(settings))
    uvicorn.Server(_uvicorn_config(app, settings, access_log)).run(sockets=[socket.socket(fileno=fd)])


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


if __name__ == "__main__":
    _http_worker()
