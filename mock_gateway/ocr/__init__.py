"""Deterministic e-KTP OCR: backends behind one `extract(image_bytes)` interface."""

from mock_gateway.ocr.extraction import Extraction, TextLine
from mock_gateway.ocr.pipeline import BACKENDS, backend_names, extract

__all__ = ["BACKENDS", "Extraction", "TextLine", "backend_names", "extract"]
