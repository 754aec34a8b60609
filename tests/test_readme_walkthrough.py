"""The README's curl walkthrough works verbatim against a fresh gateway."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.serve_support import Server

ROOT = Path(__file__).resolve().parent.parent


def walkthrough() -> str:
    section = (ROOT / "README.md").read_text().split("### Walkthrough with curl", 1)[1]
    return section.split("```bash\n", 1)[1].split("```", 1)[0]


def json_documents(text: str) -> list[dict]:
    """The JSON responses curl printed, among the other lines."""
    decoder, documents, position = json.JSONDecoder(), [], text.find("{")
    while position != -1:
        document, end = decoder.raw_decode(text, position)
        documents.append(document)
        position = text.find("{", end)
    return documents


def test_the_readme_walkthrough_runs_verbatim_and_reads_the_card(tmp_path: Path) -> None:
    server = Server(tmp_path / "data")
    server.start()
    try:
        environment = {**os.environ, "BASE": server.base}
        run = subprocess.run(["bash", "-euo", "pipefail", "-c", walkthrough()], check=False, cwd=ROOT,
                             capture_output=True, text=True, timeout=120, env=environment)  # fmt: skip
    finally:
        server.stop()
    assert run.returncode == 0, run.stderr
    confirm, status, details, journal = json_documents(run.stdout)
    assert confirm["data"]["uiMessages"]["message_1"]["title"] == "Sedang diproses"
    assert (status["data"]["status"], status["data"]["nextAction"]) == ("COMPLETED", "EXIT")
    manifest = json.loads((ROOT / "out" / "walkthrough" / "manifest.jsonl").read_text().splitlines()[0])
    assert details["data"]["submissionDetails"]["ktpData"] == manifest["truth"]
    assert journal["data"]["count"] >= 7
