"""Deterministic e-KTP OCR: backends behind one `extract(image_bytes)` interface."""
