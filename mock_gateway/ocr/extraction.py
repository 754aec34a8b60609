"""What every OCR backend returns: the ktpData it read, how sure it is, and the image-quality verdict."""

from __future__ import annotations

from dataclasses import dataclass, field

from synthetic_ktp.degrade import QUALITY_VERDICTS

OK = "OK"
GLARE = "GLARE_DETECTED"
BLUR = "BLUR_DETECTED"
OBSTRUCTION = "OBSTRUCTION_DETECTED"
NOT_DETECTED = "KTP_NOT_DETECTED"
LOW_RESOLUTION = "LOW_RESOLUTION"
VERDICTS: tuple[str, ...] = QUALITY_VERDICTS  # OK first, then the retryReason values of the status API
NIK_INCONSISTENT = "NIK_INCONSISTENT"
# The NIK's region is not the printed one: lawful for someone who moved, so a doubt, not an inconsistency.
NIK_REGION_DIFFERS = "NIK_REGION_DIFFERS"

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in canonical card px (1012x638), x1/y1 exclusive


@dataclass(frozen=True)
class TextLine:
    """One printed line a reader recognised on the rectified card, in reading order."""

    text: str
    label: str | None  # the printed label it sits on ("Nama", "Alamat", …) when the reader knows it
    confidence: float  # 0..1
    box: Box | None = None


@dataclass(frozen=True)
class Extraction:
    """One image read: fields (ktpData keys), per-field confidence, verdict, card corners, timings."""

    fields: dict[str, str]
    confidence: dict[str, float]
    quality: str  # one of VERDICTS
    corners: list[list[float]] | None  # TL, TR, BR, BL in image px; None when no card was found
    timings_ms: dict[str, float] = field(default_factory=dict)
    flags: tuple[str, ...] = ()  # e.g. NIK_INCONSISTENT
    problems: tuple[str, ...] = ()  # human-readable reasons behind the flags or the verdict
    error: str | None = None  # why the bytes could not be read as an image at all
    backend: str = ""


# Labels a reader may attach to a TextLine. Printed rows use their printed label; the lines without
# one (the two headers and the two lines under the photo) use these names.
PROVINCE_HEADER = "PROVINSI"  # text is the whole printed line, e.g. "PROVINSI JAWA BARAT"
CITY_HEADER = "KABUPATEN/KOTA"  # e.g. "KABUPATEN BANDUNG", "KOTA BANDUNG"
ISSUE_PLACE = "ISSUE_PLACE"  # under the photo, e.g. "KAB. BANDUNG"
ISSUE_DATE = "ISSUE_DATE"  # under the photo, DD-MM-YYYY
ROW_LABELS: tuple[str, ...] = (
    "NIK", "Nama", "Tempat/Tgl Lahir", "Jenis Kelamin", "Gol. Darah", "Alamat", "RT/RW", "Kel/Desa",
    "Kecamatan", "Agama", "Status Perkawinan", "Pekerjaan", "Kewarganegaraan", "Berlaku Hingga",
)  # fmt: skip
