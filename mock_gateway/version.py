"""The installed package's version, for the banner, health and the callback User-Agent."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def package_version() -> str:
    """`0.1.0` when installed, `dev` when run from a bare checkout."""
    try:
        return version("ktp-scan-sandbox")
    except PackageNotFoundError:
        return "dev"
