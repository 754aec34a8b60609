"""Synthetic e-KTP cards with exact ground truth: model, regions, rendering, degradations, datasets.

`from synthetic_ktp import generate_card` is the one-card API; the submodules load on first use, so
importing `synthetic_ktp.model` alone (as the OCR backend does) stays light.
"""

from importlib import import_module

_EXPORTS = {
    "DatasetSpec": "synthetic_ktp.dataset",
    "GeneratedCard": "synthetic_ktp.dataset",
    "card_seed": "synthetic_ktp.dataset",
    "generate_card": "synthetic_ktp.dataset",
    "write_dataset": "synthetic_ktp.dataset",
    "KtpData": "synthetic_ktp.model",
    "decode_nik": "synthetic_ktp.model",
    "encode_nik": "synthetic_ktp.model",
    "validate_nik": "synthetic_ktp.model",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'synthetic_ktp' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
