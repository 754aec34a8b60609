"""Gateway speed and memory against the issue's targets, next to a bare-Flask baseline; prints numbers, is no test.

    .venv/bin/python benchmarks/gateway.py                      # everything, about 10 minutes on 2 cores
    .venv/bin/python benchmarks/gateway.py --duration 5 --flows 20 --submissions 1000     # a quicker look

Needs wrk (`apt-get install -y wrk`; when run as root the script installs it itself). Every server is a real
subprocess on 127.0.0.1 with the journal on (the gateway journals every request; nothing turns it off):

1. Status polling: `wrk -t2 -c50 --latency` (after a 3 s warm-up) on GET /coe/v1/submissions/{id}/status of a
   completed submission, with its real token and session headers, for `ktp-sandbox serve --http-workers 1` and
   `2`; next to each, a bare Flask app answering the same path with the same JSON bytes, served the same way (uvicorn
   with the same worker count, through an a2wsgi WSGI bridge as connexion's FlaskApp is). Target: 1,000 req/s.
2. The whole flow, one SDK user after another: E1 partner token → E3 initiate-flow → E4 upload URL → E5 upload of
   a real camera photo of a synthetic card → E6 confirm → E7 polls until EXIT. `processing_delay_ms` is 0; the
   sleeps of `pollAfterMs` between polls are a configured delay and are left out. Target: p50 at most 150 ms.
3. Memory: the RSS of the server's processes (parent and HTTP workers, from /proc) with 10,000 completed
   submissions stored, all driven through the real API (E3 → E4 → E5 → E6, then processed by the server's own
   pool) of a server with the first `--workers` value; then the same data dir served again with each value, each
   measured after a status-polling load. Target: under 300 MB.

wrk and the servers share the same cores, so read the numbers as a lower bound for the server alone.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import importlib.metadata
import os
import platform
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from synthetic_ktp.dataset import generate_card

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BASELINE_BODY_ENV = "KTP_BENCH_BASELINE_BODY"
DEMO = {"client-id": "demo-client", "pass-key": "demo-pass-key"}
ADMIN = {"x-mock-admin-key": "ktp-sandbox-admin"}
ONBOARDING_PARTNER = "DEMO-SDK-KTP_SCAN"
TARGET_RPS = 1000
TARGET_FLOW_P50_MS = 150
TARGET_RSS_MB = 300
POLL_AFTER_MS = 20
FLOW_STEPS = ("E1 token", "E3 initiate", "E4 urls", "E5 upload", "E6 confirm", "E7 until EXIT")
VERSIONS = ("connexion", "flask", "werkzeug", "starlette", "uvicorn", "a2wsgi", "httptools", "uvloop", "requests")


def baseline_app() -> Callable:
    """The bare-Flask baseline: one route, the gateway's status JSON as fixed bytes, behind the same a2wsgi bridge."""
    from a2wsgi import WSGIMiddleware
    from flask import Flask, Response

    body = Path(os.environ[BASELINE_BODY_ENV]).read_bytes()
    app = Flask("baseline")

    @app.get("/coe/v1/submissions/<submission_id>/status")
    def status(submission_id: str) -> Response:
        return Response(body, mimetype="application/json")

    return WSGIMiddleware(app)


# Servers --------------------------------------------------------------------------------------------------------
@dataclass
class Server:
    """A server subprocess and where it listens."""

    name: str
    process: subprocess.Popen
    base: str

    def rss_mb(self) -> list[float]:
        """Resident memory of the process, then of each descendant (uvicorn's HTTP workers)."""
        return [_rss_kb(pid) / 1024 for pid in [self.process.pid, *_descendants(self.process.pid)]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running(name: str, command: list[str], ready_path: str, log: Path, env: dict[str, str] | None = None
            ) -> Iterator[Server]:  # fmt: skip
    """Start `command` on a free port (its `{port}`), wait until `ready_path` answers, and stop it afterwards."""
    port = free_port()
    command = [part.replace("{port}", str(port)) for part in command]
    with log.open("w") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT,
                                   env={**os.environ, **(env or {})})  # fmt: skip
    server = Server(name, process, f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start:\n{log.read_text()[-3000:]}")
            try:
                requests.get(server.base + ready_path, timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def gateway(workdir: Path, data_dir: Path, workers: int) -> AbstractContextManager[Server]:
    """`ktp-sandbox serve` with the given HTTP workers and no processing delay."""
    config = workdir / "sandbox.toml"
    config.write_text(f"[gateway]\nprocessing_delay_ms = 0\npoll_after_ms = {POLL_AFTER_MS}\n")
    command = [str(BIN / "ktp-sandbox"), "serve", "--port", "{port}", "--data-dir", str(data_dir),
               "--config", str(config), "--http-workers", str(workers)]  # fmt: skip
    return running(f"ktp-sandbox serve --http-workers {workers}", command, "/openapi.json",
                   workdir / f"gateway-{workers}.log")  # fmt: skip


def baseline(workdir: Path, body: bytes, workers: int) -> AbstractContextManager[Server]:
    """The bare-Flask baseline under uvicorn, answering `body`."""
    body_file = workdir / "status.json"
    body_file.write_bytes(body)
    command = [str(BIN / "uvicorn"), "benchmarks.gateway:baseline_app", "--factory", "--host", "127.0.0.1",
               "--port", "{port}", "--workers", str(workers), "--no-access-log", "--log-level", "warning"]  # fmt: skip
    name = f"bare Flask, uvicorn --workers {workers} + a2wsgi"
    return running(name, command, "/", workdir / f"baseline-{workers}.log", {BASELINE_BODY_ENV: str(body_file)})


def _descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def _rss_kb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) if match else 0


# The SDK user's flow ----------------------------------------------------------------------------------------------
@dataclass
class Flow:
    """One user's run: milliseconds per step (without the configured poll sleeps), polls made, the status seen."""

    steps: dict[str, float] = field(default_factory=dict)
    polls: int = 0
    slept_ms: float = 0.0
    submission_id: str = ""
    sdk_headers: dict[str, str] = field(default_factory=dict)
    final: dict = field(default_factory=dict)

    @property
    def total_ms(self) -> float:
        return sum(self.steps.values())


def run_flow(base: str, image: bytes, session_id: str, poll: bool = True) -> Flow:
    """E1 → E3 → E4 → E5 → E6 (→ E7 until EXIT), on one keep-alive connection as an SDK would."""
    http = requests.Session()
    flow = Flow()

    def step(name: str, call: Callable[[], requests.Response], expected: int = 200) -> dict:
        started = time.perf_counter()
        answer = call()
        flow.steps[name] = flow.steps.get(name, 0.0) + (time.perf_counter() - started) * 1000
        if answer.status_code != expected:
            raise RuntimeError(f"{name}: {answer.status_code} {answer.text[:300]}")
        return answer.json() if answer.content else {}

    partner = step("E1 token", lambda: http.get(f"{base}/v1/coe/partner/authentication", headers=DEMO, timeout=10))
    headers = {"x-onekyc-token": partner["data"]["token"], "x-onboarding-partner": ONBOARDING_PARTNER,
               "x-partner-user-id": f"user-{session_id}", "x-partner-user-id-type": "CLIENT_X_USER_ID",
               "x-partner-session-id": session_id}  # fmt: skip
    started = step("E3 initiate", lambda: http.post(f"{base}/coe-partner/v1/initiate-flow", headers=headers,
                                                   json={"flow": "KTP_SCAN", "source": "SDK"}, timeout=10))  # fmt: skip
    sdk = {"x-onekyc-token": started["data"]["token"], "x-sdk-session-id": f"sdk-{session_id}",
           "x-partner-session-id": session_id}  # fmt: skip
    urls = step("E4 urls", lambda: http.get(f"{base}/coe/v1/submissions/urls", params={"submissionType": "KTP_SCAN"},
                                            headers=sdk, timeout=10))["data"]  # fmt: skip
    step("E5 upload", lambda: http.put(urls["documents"]["KTP_FRONT"]["documentUrl"], data=image,
                                       headers={"content-type": "image/jpeg"}, timeout=30))  # fmt: skip
    step("E6 confirm", lambda: http.put(f"{base}/coe/v1/submissions/urls", headers=sdk, timeout=10,
                                        json={"submissionId": urls["submissionId"]}))  # fmt: skip
    flow.submission_id, flow.sdk_headers = urls["submissionId"], sdk
    status_url = f"{base}/coe/v1/submissions/{urls['submissionId']}/status"
    while poll:
        flow.polls += 1
        flow.final = step("E7 until EXIT", lambda: http.get(status_url, headers=sdk, timeout=10))["data"]
        if flow.final["nextAction"] != "STATUS":
            break
        pause = flow.final["pollAfterMs"] / 1000
        flow.slept_ms += pause * 1000
        time.sleep(pause)
    return flow


# Load -------------------------------------------------------------------------------------------------------------
@dataclass
class Load:
    """What wrk measured."""

    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: str


def ensure_wrk() -> str:
    """wrk's path, installing it with apt when run as root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit("wrk is missing: run `apt-get install -y wrk` (as root), then run this again")
    print("installing wrk with apt-get ...", flush=True)
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=False, capture_output=True)
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "update"], check=True, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, capture_output=True)
    return shutil.which("wrk") or sys.exit("could not install wrk")


def wrk(url: str, headers: dict[str, str], seconds: int, connections: int, threads: int, workdir: Path) -> Load:
    """One wrk run with the request headers set by a Lua script."""
    script = workdir / "headers.lua"
    script.write_text("".join(f'wrk.headers["{name}"] = "{value}"\n' for name, value in headers.items()))
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", output, re.MULTILINE))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return Load(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=_ms(latency["50"]), p99_ms=_ms(latency["99"]),
        requests=int(re.search(r"(\d+) requests in", output).group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0, socket_errors=errors.group(1) if errors else "none",
    )  # fmt: skip


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


# Sections ---------------------------------------------------------------------------------------------------------
def machine() -> None:
    cpu = re.search(r"^model name\s*:\s*(.*)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE)
    wrk_version = subprocess.run(["wrk", "-v"], check=False, capture_output=True, text=True).stdout.splitlines()[0]
    print(f"Machine: {os.cpu_count()} cores ({cpu.group(1) if cpu else 'unknown CPU'}), {platform.platform()}")
    print(f"Python {platform.python_version()}; {wrk_version}")
    print("Versions: " + ", ".join(f"{name} {importlib.metadata.version(name)}" for name in VERSIONS))
    print()


def polling(args: argparse.Namespace, workdir: Path, image: bytes) -> None:
    print(f"1. Status polling: GET /coe/v1/submissions/{{id}}/status of a COMPLETED submission, "
          f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s after a 3 s warm-up, journal on")  # fmt: skip
    rows = []
    for workers in args.workers:
        with gateway(workdir, workdir / f"poll-data-{workers}", workers) as server:
            flow = run_flow(server.base, image, f"poll-{workers}")
            url = f"{server.base}/coe/v1/submissions/{flow.submission_id}/status"
            body = requests.get(url, headers=flow.sdk_headers, timeout=10).content
            rows.append((server.name, measure(url, flow.sdk_headers, args, workdir)))
            journal = requests.get(f"{server.base}/__mock/journal/count", headers=ADMIN, timeout=30).json()
            print(f"   ({server.name}: journal holds {journal['data']['count']} entries after the run)")
        with baseline(workdir, body, workers) as server:
            rows.append((server.name, measure(f"{server.base}/coe/v1/submissions/{flow.submission_id}/status",
                                              flow.sdk_headers, args, workdir)))  # fmt: skip
    print(f"   {'server':<44} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9} {'non-2xx':>8}  socket errors")
    for name, load in rows:
        print(f"   {name:<44} {load.rps:>8.0f} {load.p50_ms:>8.1f} {load.p99_ms:>8.1f} {load.requests:>9} "
              f"{load.non_2xx:>8}  {load.socket_errors}")  # fmt: skip
    best = max(load.rps for name, load in rows if name.startswith("ktp-sandbox"))
    print(f"   target >= {TARGET_RPS} req/s: {'met' if best >= TARGET_RPS else 'MISSED'} (best gateway {best:.0f})\n")


def measure(url: str, headers: dict[str, str], args: argparse.Namespace, workdir: Path) -> Load:
    wrk(url, headers, 3, args.connections, args.threads, workdir)
    return wrk(url, headers, args.duration, args.connections, args.threads, workdir)


def flows(args: argparse.Namespace, workdir: Path, images: list[bytes]) -> None:
    print(f"2. Whole flow E1 -> E3 -> E4 -> E5 -> E6 -> E7 polls -> EXIT, {args.flows} users one after another, "
          f"real camera photos ({len(images[0]) // 1024} KB), processing_delay_ms 0, pollAfterMs {POLL_AFTER_MS} "
          f"(its sleeps left out)")  # fmt: skip
    with gateway(workdir, workdir / "flow-data", 1) as server:
        run_flow(server.base, images[0], "warm-up")
        done = [run_flow(server.base, images[number % len(images)], f"flow-{number}") for number in range(args.flows)]
    outcomes = {(flow.final["status"], flow.final["nextAction"]) for flow in done}
    totals = [flow.total_ms for flow in done]
    print(f"   {server.name}; outcomes {sorted(outcomes)}; polls per flow p50 "
          f"{statistics.median(flow.polls for flow in done):.0f}")  # fmt: skip
    print(f"   {'step':<16} {'p50 ms':>8} {'p90 ms':>8}")
    for name in FLOW_STEPS:
        values = [flow.steps[name] for flow in done]
        print(f"   {name:<16} {statistics.median(values):>8.1f} {_p90(values):>8.1f}")
    p50 = statistics.median(totals)
    print(f"   {'whole flow':<16} {p50:>8.1f} {_p90(totals):>8.1f}   (wall time with the poll sleeps: p50 "
          f"{statistics.median(flow.total_ms + flow.slept_ms for flow in done):.1f} ms)")  # fmt: skip
    print(f"   target p50 <= {TARGET_FLOW_P50_MS} ms: {'met' if p50 <= TARGET_FLOW_P50_MS else 'MISSED'}\n")


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]


def memory(args: argparse.Namespace, workdir: Path, images: list[bytes]) -> None:
    print(f"3. Memory with {args.submissions} completed submissions stored, each driven through the real API "
          f"(E3 -> E4 -> E5 -> E6, {args.fill_concurrency} clients at once), processed by the server")  # fmt: skip
    data_dir = workdir / "memory-data"
    rows = []
    with gateway(workdir, data_dir, args.workers[0]) as server:
        rows.append((server.name, "started, empty", server.rss_mb()))
        started = time.monotonic()
        fill(server.base, images, args.submissions, args.fill_concurrency)
        elapsed = time.monotonic() - started
        print(f"   stored in {elapsed:.0f} s ({args.submissions / elapsed:.0f}/s): {stored(server.base, data_dir)}")
        rows.append((server.name, f"{args.submissions} completed", server.rss_mb()))
        polled = status_load(server.base, images[0], args, workdir)
        rows.append((server.name, f"after {polled} status polls", server.rss_mb()))
    for workers in args.workers:
        with gateway(workdir, data_dir, workers) as server:
            rows.append((server.name, f"restarted on the {args.submissions}", server.rss_mb()))
            fill(server.base, images, args.refill, args.fill_concurrency, prefix=f"refill-{workers}")
            rows.append((server.name, f"after {args.refill} more processed", server.rss_mb()))
            polled = status_load(server.base, images[0], args, workdir)
            rows.append((server.name, f"after {polled} status polls", server.rss_mb()))
    print(f"   {'server':<36} {'state':<34} {'RSS MB':>7}   (= parent + each process under it)")
    for name, state, rss in rows:
        print(f"   {name:<36} {state:<34} {sum(rss):>7.1f}   (= {' + '.join(f'{mb:.0f}' for mb in rss)})")
    for name in dict.fromkeys(name for name, _, _ in rows):
        worst = max(sum(rss) for server, _, rss in rows if server == name)
        print(f"   target < {TARGET_RSS_MB} MB, {name}: {'met' if worst < TARGET_RSS_MB else 'MISSED'} "
              f"(largest {worst:.1f} MB)")  # fmt: skip


def fill(base: str, images: list[bytes], count: int, concurrency: int, prefix: str = "fill") -> None:
    """`count` submissions confirmed through the API, then waits for the server to have processed all of them."""
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        futures = [pool.submit(run_flow, base, images[number % len(images)], f"{prefix}-{number}", poll=False)
                   for number in range(count)]  # fmt: skip
        for future in concurrent.futures.as_completed(futures):
            future.result()
    while True:
        queue = requests.get(f"{base}/__mock/health", headers=ADMIN, timeout=30).json()["data"]["queue"]
        if not queue["pending"] and not queue["running"]:
            return
        time.sleep(0.5)


def stored(base: str, data_dir: Path) -> str:
    """What the store holds: submissions per status and result (read-only from the database), journal entries."""
    with sqlite3.connect(f"file:{data_dir / 'sandbox.db'}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT status, result, count(*) FROM submissions GROUP BY 1, 2 ORDER BY 3 DESC").fetchall()
    journal = requests.get(f"{base}/__mock/journal/count", headers=ADMIN, timeout=30).json()["data"]["count"]
    kinds = ", ".join(f"{count} {status} {result or ''}".rstrip() for status, result, count in rows)
    return f"{kinds}; journal {journal} entries"


def status_load(base: str, image: bytes, args: argparse.Namespace, workdir: Path) -> int:
    """A short polling load on the full store; returns the number of requests."""
    flow = run_flow(base, image, f"rss-{time.monotonic_ns()}")
    url = f"{base}/coe/v1/submissions/{flow.submission_id}/status"
    return wrk(url, flow.sdk_headers, 5, args.connections, args.threads, workdir).requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of each measured wrk run")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="--http-workers values to compare")
    parser.add_argument("--flows", type=int, default=50, help="whole flows timed one after another")
    parser.add_argument("--submissions", type=int, default=10_000, help="completed submissions stored for RSS")
    parser.add_argument("--fill-concurrency", type=int, default=8)
    parser.add_argument("--refill", type=int, default=1000,
                        help="submissions each restarted server processes before its RSS is read (OCR warm)")
    parser.add_argument("--sections", default="polling,flow,memory", help="comma-separated subset to run")
    args = parser.parse_args()
    ensure_wrk()
    machine()
    images = [generate_card(seed, "camera").photo.jpeg_file for seed in range(101, 106)]
    sections = set(args.sections.split(","))
    with tempfile.TemporaryDirectory(prefix="ktp-bench-") as tmp:
        workdir = Path(tmp)
        if "polling" in sections:
            polling(args, workdir, images[0])
        if "flow" in sections:
            flows(args, workdir, images)
        if "memory" in sections:
            memory(args, workdir, images)


if __name__ == "__main__":
    main()
