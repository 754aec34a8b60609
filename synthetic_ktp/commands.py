"""The generator's `ktp-sandbox` subcommands: `generate` and `scenarios`."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path

import click

from synthetic_ktp.dataset import IMAGE_FORMATS, MANIFEST_NAME, DatasetSpec, write_dataset
from synthetic_ktp.degrade import PRESETS
from synthetic_ktp.person import PersonOptions
from synthetic_ktp.scenarios import SCENARIO_NAMES, SCENARIOS, scenario_named


def _writable_dir(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
    try:
        value.mkdir(parents=True, exist_ok=True)
        probe = value / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise click.BadParameter(f"cannot write to {value}: {error.strerror}") from None
    return value


def _iso_date(ctx: click.Context, param: click.Parameter, value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter(f"expected YYYY-MM-DD, got {value!r}") from None


@click.command()
@click.option("--count", "-n", type=click.IntRange(min=1), required=True, help="How many images to write.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Dataset seed.")
@click.option("--preset", type=click.Choice(PRESETS), default="clean", show_default=True)
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), required=True,
              callback=_writable_dir, help="Folder for the images and manifest.jsonl.")  # fmt: skip
@click.option("--format", "image_format", type=click.Choice(IMAGE_FORMATS),
              help="png or jpg. Default: png for clean scans, otherwise jpg exactly as the camera stored it.")
@click.option("--video", is_flag=True, help="Also write a one-frame Y4M per image for Chromium's fake camera.")
@click.option("--scenario", type=click.Choice(SCENARIO_NAMES), help="Give every card a magic NIK serial.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, help="Processes to use.")
@click.option("--as-of", default=PersonOptions.as_of.isoformat(), show_default=True, callback=_iso_date,
              help="The day the cards are made on: ages and issue dates are relative to it.")  # fmt: skip
def generate(
    count: int, seed: int, preset: str, out_dir: Path, image_format: str, video: bool,
    scenario: str | None, workers: int, as_of: date,
) -> None:  # fmt: skip
    """Write COUNT synthetic e-KTP images (plus videos) and their ground truth."""
    if scenario and preset == "negative":
        raise click.UsageError("--scenario needs a KTP preset; negative images carry no NIK")
    if scenario:
        chosen = scenario_named(scenario)
        click.echo(f"scenario {chosen.name}: NIK serials {chosen.serial_range} -> {chosen.description}")
    spec = DatasetSpec(out_dir, count, seed, preset, image_format, video, scenario, as_of)
    with click.progressbar(length=count, label=f"generating {preset} cards", file=sys.stderr) as bar:
        write_dataset(spec, workers, on_card=lambda: bar.update(1))
    click.echo(f"wrote {count} {preset} images to {out_dir}/ (manifest: {out_dir / MANIFEST_NAME})")


@click.command()
def scenarios() -> None:
    """List the magic NIK serial ranges and the outcome each one drives the gateway to."""
    for scenario in SCENARIOS:
        click.echo(f"{scenario.name:<18} {scenario.serial_range}  {scenario.description}")
