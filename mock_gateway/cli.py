"""The mock gateway's `ktp-sandbox serve` subcommand (registered through the `ktp_sandbox.commands` entry points)."""

from __future__ import annotations

import warnings
from pathlib import Path

import click


@click.command()
@click.option("--host", help="Interface to listen on.  [default: 127.0.0.1]")
@click.option("--port", type=int, help="Port to listen on.  [default: 8080]")
@click.option("--config", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="TOML file with [gateway] settings and [[partners]].")  # fmt: skip
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where the SQLite database, keys and images live.  [default: ./.ktp-sandbox]")  # fmt: skip
@click.option("--callback-url", help="Call the demo partner back at this URL.")
@click.option("--http-workers", type=int, help="HTTP worker processes.  [default: 1]")
@click.option("--processing-workers", type=int, help="Threads that read uploaded cards.  [default: 2]")
@click.option("--access-log", is_flag=True, help="Log every request (presigned signatures masked).")
def serve(host: str | None, port: int | None, config: Path | None, data_dir: Path | None, callback_url: str | None,
          http_workers: int | None, processing_workers: int | None, access_log: bool) -> None:  # fmt: skip
    """Run the mock IAB gateway: the KTP Scan API, the storage stand-in and the /__mock control plane."""
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")  # connexion's import
    from mock_gateway.serve import serve as run
    from mock_gateway.settings import SettingsError, load_settings

    try:
        settings = load_settings(config, host=host, port=port, data_dir=data_dir, http_workers=http_workers,
                                 processing_workers=processing_workers)  # fmt: skip
    except SettingsError as error:
        raise click.UsageError(str(error)) from None
    run(settings.with_demo_callback(callback_url) if callback_url else settings, access_log)
