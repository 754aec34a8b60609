"""The README is the partner's manual: keep it true to the code."""

import re
from pathlib import Path

from PIL import Image

from synthetic_ktp.scenarios import SCENARIOS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_readme_opens_with_the_two_commands():
    first_block = README.split("```bash\n", 1)[1].split("```", 1)[0].splitlines()
    assert [line.split("#")[0].strip() for line in first_block] == ["./sandbox run", "./sandbox test"]
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("./sandbox test")


def test_readme_scenario_table_matches_the_code():
    rows = re.findall(r"^\| `([a-z-]+)` \| (\d{4}-\d{4}) \|", README, flags=re.MULTILINE)
    assert rows == [(scenario.name, scenario.serial_range) for scenario in SCENARIOS]


def test_readme_pictures_exist():
    for name in ("card-clean.png", "card-camera.png"):
        assert f"docs/{name}" in README
        with Image.open(ROOT / "docs" / name) as picture:
            assert picture.width >= 1000


def test_the_step_reference_is_current():
    from conformance.stepdocs import step_reference

    assert (ROOT / "docs" / "steps.md").read_text() == step_reference(), "run: ktp-sandbox conform --list-steps"


def test_readme_rule_table_matches_the_catalogue():
    from conformance.rules import RULES

    rows = re.findall(r"^\| `([A-Z]+-\d+)` \| (MUST|SHOULD) \| (.+) \|$", README, flags=re.MULTILINE)
    assert rows == [(rule.id, rule.severity, rule.title) for rule in RULES]
