"""The console script as a user runs it, in a subprocess."""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("ktp-sandbox")


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=300, check=False)


def digest(folder: Path) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.iterdir())}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--count", "-1"], "Invalid value for '--count' / '-n': -1 is not in the range x>=1."),
        (["--count", "2", "--preset", "blurry"], "Invalid value for '--preset': 'blurry' is not one of"),
        (["--count", "2", "--out", "/proc/ktp"], "Invalid value for '--out': cannot write to /proc/ktp"),
        (["--count", "2", "--scenario", "nope"], "Invalid value for '--scenario': 'nope' is not one of"),
        (["--count", "2", "--as-of", "2026-13-01"], "expected YYYY-MM-DD, got '2026-13-01'"),
        (["--count", "2", "--preset", "negative", "--scenario", "slow"], "--scenario needs a KTP preset"),
    ],
)
def test_bad_arguments_get_one_line_and_exit_2(tmp_path, args, message):
    if "--out" not in args:
        args = [*args, "--out", str(tmp_path / "out")]
    result = run("generate", *args)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("ktp-sandbox generate: error: ")
    assert message in result.stderr
    assert not (tmp_path / "out" / "manifest.jsonl").exists()


def test_an_out_path_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    result = run("generate", "--count", "1", "--out", str(tmp_path / "file"))
    assert result.returncode == 2
    expected = f"Invalid value for '--out': Directory '{tmp_path}/file' is a file."
    assert result.stderr == f"ktp-sandbox generate: error: {expected}\n"


def test_generate_writes_images_and_manifest(tmp_path):
    result = run("generate", "--count", "3", "--seed", "4", "--preset", "camera", "--format", "jpg",
                 "--out", str(tmp_path))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"wrote 3 camera images to {tmp_path}/ (manifest: {tmp_path}/manifest.jsonl)"
    lines = (tmp_path / "manifest.jsonl").read_text().splitlines()
    assert [json.loads(line)["image"] for line in lines] == ["000000.jpg", "000001.jpg", "000002.jpg"]
    assert (tmp_path / "000001.jpg").read_bytes()[:3] == b"\xff\xd8\xff"


def test_scenario_prints_its_serial_range(tmp_path):
    result = run("generate", "--count", "2", "--scenario", "not-ektp", "--out", str(tmp_path))
    assert result.stdout.splitlines()[0] == (
        "scenario not-ektp: NIK serials 9001-9099 -> the card is judged not to be an e-KTP"
    )
    for line in (tmp_path / "manifest.jsonl").read_text().splitlines():
        assert 9001 <= int(json.loads(line)["truth"]["nik"][-4:]) <= 9099


def test_scenarios_lists_the_table():
    result = run("scenarios")
    assert result.returncode == 0
    assert "retry-then-valid   9801-9899  the first attempt answers RETRY" in result.stdout


def test_same_seed_same_bytes_across_runs_and_worker_counts(tmp_path):
    outputs = []
    for name, workers in (("a", "1"), ("b", "1"), ("c", "2")):
        result = run("generate", "--count", "6", "--seed", "31", "--preset", "camera", "--video",
                     "--workers", workers, "--out", str(tmp_path / name))  # fmt: skip
        assert result.returncode == 0, result.stderr
        outputs.append(digest(tmp_path / name))
    assert len(outputs[0]) == 13  # 6 images, 6 videos, the manifest
    assert outputs[0] == outputs[1] == outputs[2]
    other = run("generate", "--count", "6", "--seed", "32", "--preset", "camera", "--out", str(tmp_path / "d"))
    assert other.returncode == 0
    assert digest(tmp_path / "d")["000000.jpg"] != outputs[0]["000000.jpg"]


def test_help_lists_only_working_subcommands():
    result = run("--help")
    assert result.returncode == 0
    section = result.stdout.split("Commands:")[1]
    commands = [line.split()[0] for line in section.strip().splitlines()]
    assert commands == ["conform", "generate", "ocr", "scenarios", "serve"]
