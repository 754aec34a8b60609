"""A real `ktp-sandbox serve` subprocess and a callback receiver, for tests that need real HTTP."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from conformance.plugin import free_port, wait_until_up


class Receiver:
    """The partner's callback endpoint: records every request and answers 200."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        received = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                received.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                 "body": body})
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/onekyc/callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 20.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.requests


class Server:
    """One `ktp-sandbox serve` process."""

    def __init__(self, data_dir: Path, config: Path | None = None, callback_url: str | None = None,
                 *extra: str, port: int | None = None) -> None:  # fmt: skip
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.args = [str(Path(sys.executable).parent / "ktp-sandbox"), "serve", "--port", str(self.port),
                     "--data-dir", str(data_dir), *extra]
        if config is not None:
            self.args += ["--config", str(config)]
        if callback_url is not None:
            self.args += ["--callback-url", callback_url]
        self.process: subprocess.Popen | None = None
        self.log = data_dir.parent / f"serve-{self.port}.log"  # a file, not a pipe: a busy server never stalls on it

    def start(self) -> None:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(self.args, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_up(f"{self.base}/__mock/health", self.process, self.log)
        except RuntimeError:
            self.process.kill()
            raise

    def stop(self, sig: int = signal.SIGTERM) -> str:
        assert self.process is not None
        self.process.send_signal(sig)
        self.process.wait(timeout=30)
        return self.log.read_text()
