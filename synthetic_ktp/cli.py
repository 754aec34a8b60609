"""The `ktp-sandbox` console script: one click group whose subcommands each package registers.

It imports nothing heavy: `serve` must not pay for the generator, nor its HTTP workers for the OCR stack.
"""

from __future__ import annotations

import sys
from importlib.metadata import entry_points

import click

COMMAND_GROUP = "ktp_sandbox.commands"


class _SandboxGroup(click.Group):
    """Finds subcommands through entry points, so no package imports a layer above it."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(entry.name for entry in entry_points(group=COMMAND_GROUP))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        for entry in entry_points(group=COMMAND_GROUP, name=cmd_name):
            return entry.load()
        return None


@click.group(cls=_SandboxGroup)
def cli() -> None:
    """KTP Scan sandbox: synthetic e-KTP cards, the mock gateway and the conformance suites."""


def main() -> None:
    """Console entry point: usage errors become one line on stderr and exit status 2."""
    try:
        code = cli.main(prog_name="ktp-sandbox", standalone_mode=False)
    except click.UsageError as error:
        command = error.ctx.command_path if error.ctx else "ktp-sandbox"
        click.echo(f"{command}: error: {error.format_message()}", err=True)
        sys.exit(2)
    except click.ClickException as error:
        click.echo(f"ktp-sandbox: error: {error.format_message()}", err=True)
        sys.exit(error.exit_code)
    except click.Abort:
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
