"""`ktp-sandbox ocr`: read card photos with an OCR backend, from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import click

from mock_gateway.ocr import Extraction, backend_names, extract


def _json_line(image: Path, extraction: Extraction) -> str:
    """DESIGN.md's `ocr --json` object, plus `error` and `flags` when there are any."""
    record: dict[str, object] = {
        "image": str(image),
        "fields": extraction.fields,
        "quality": extraction.quality,
        "confidence": extraction.confidence,
        "ms": round(extraction.timings_ms.get("total", 0.0), 1),
    }
    if extraction.error:
        record["error"] = extraction.error
    if extraction.flags:
        record["flags"] = list(extraction.flags)
    return json.dumps(record, ensure_ascii=False)


def _block(image: Path, extraction: Extraction) -> str:
    """A person's view: the verdict, then each field with its confidence."""
    ms = extraction.timings_ms.get("total", 0.0)
    lines = [f"{image}: {extraction.quality} ({extraction.backend}, {ms:.0f} ms)"]
    if extraction.error:
        lines.append(f"  error: {extraction.error}")
    lines += [f"  flag: {flag}" for flag in extraction.flags]
    lines += [f"  problem: {problem}" for problem in extraction.problems]
    width = max((len(key) for key in extraction.fields), default=0)
    lines += [f"  {key:<{width}}  {value}  ({extraction.confidence.get(key, 0.0):.2f})"
              for key, value in extraction.fields.items()]  # fmt: skip
    return "\n".join(lines)


@click.command()
@click.argument("images", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--backend", type=click.Choice(backend_names()), default=backend_names()[0], show_default=True,
              help="The OCR backend that reads the cards.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="One JSON object per image per line.")
def ocr(images: tuple[Path, ...], backend: str, as_json: bool) -> None:
    """Read e-KTP photos: the quality verdict and the ktpData fields of each IMAGE, all in one process."""
    for image in images:
        try:
            data = image.read_bytes()
        except OSError as error:
            raise click.FileError(str(image), error.strerror) from None
        extraction = extract(data, backend)
        click.echo(_json_line(image, extraction) if as_json else _block(image, extraction))
