"""The `ktp-sandbox conform` subcommand (registered through the `ktp_sandbox.commands` entry points)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from mock_gateway.settings import DEMO_PARTNER, Settings

if TYPE_CHECKING:
    from conformance.runner import Conform

SUITE_NAMES = ("gateway", "partner-backend", "partner-web", "sdk")


@click.command()
@click.option("--suite", type=click.Choice(SUITE_NAMES), help="Which system to judge.")
@click.option("--target", "target_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="TOML description of the partner's backend and web app (partner-backend, partner-web).")  # fmt: skip
@click.option("--reference", is_flag=True, help="Judge the bundled reference implementation of the suite.")
@click.option("--defect", "defects", multiple=True, help="Switch on a reference defect (repeatable).")
@click.option("--gateway", "gateway_url", help="Use this running gateway instead of starting the mock.")
@click.option("--admin-key", default=Settings.admin_key, show_default=True, envvar="KTP_SANDBOX_ADMIN_KEY",
              help="The mock's control-plane key (with --gateway).")  # fmt: skip
@click.option("--client-id", default=DEMO_PARTNER.client_id, show_default=True, envvar="KTP_SANDBOX_CLIENT_ID",
              help="Gateway credentials of the gateway and SDK suites (a target brings its own).")  # fmt: skip
@click.option("--pass-key", default=DEMO_PARTNER.pass_key, show_default=True, envvar="KTP_SANDBOX_PASS_KEY")
@click.option("--onboarding-partner", default=DEMO_PARTNER.onboarding_partners[0], show_default=True,
              envvar="KTP_SANDBOX_ONBOARDING_PARTNER")  # fmt: skip
@click.option("--web-onboarding-partner", default=DEMO_PARTNER.onboarding_partners[1], show_default=True,
              envvar="KTP_SANDBOX_WEB_ONBOARDING_PARTNER")  # fmt: skip
@click.option("--report", "report_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("conformance-report"), show_default=True,
              help="Where report.json, report.html, junit.xml and cucumber.json go.")  # fmt: skip
@click.option("--features", "features_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Run these .feature files (QA scenarios) instead of the suite's own.")  # fmt: skip
@click.option("--watch", is_flag=True, help="Judge a real SDK build's launch as it happens (sdk suite).")
@click.option("--correlation-id", help="The launch to watch: its x-partner-session-id.")
@click.option("--timeout", "watch_timeout", type=float, default=600.0, show_default=True,
              help="Seconds to wait for the watched launch.")  # fmt: skip
@click.option("--list-rules", is_flag=True, help="Print the rule catalogue (of --suite, if given) and exit.")
@click.option("--list-defects", is_flag=True, help="Print every reference defect switch and its rule, and exit.")
@click.option("--list-steps", is_flag=True, help="Print the step reference for .feature files (Markdown) and exit.")
@click.option("--json", "as_json", is_flag=True, help="With --list-rules / --list-defects: print JSON.")
def conform(suite: str | None, target_file: Path | None, reference: bool, defects: tuple[str, ...],
            gateway_url: str | None, admin_key: str, client_id: str, pass_key: str, onboarding_partner: str,
            web_onboarding_partner: str, report_dir: Path, features_dir: Path | None, watch: bool,
            correlation_id: str | None, watch_timeout: float, list_rules: bool, list_defects: bool,
            list_steps: bool, as_json: bool) -> None:  # fmt: skip
    """Judge a partner backend, a partner web app, an SDK build or a gateway against the KTP Scan contract."""
    from conformance.rules import RULES

    if list_rules:
        rules = [{"id": r.id, "title": r.title, "severity": r.severity, "suite": r.suite} for r in RULES
                 if suite is None or r.suite == suite]  # fmt: skip
        _print(rules, as_json, lambda r: f"{r['id']:<7} {r['severity']:<6} {r['title']}")
        return
    if list_defects:
        from conformance.runner import DEFECTS

        switches = [{"defect": name, "rule": rule} for name, (owner, rule) in DEFECTS.items()
                    if suite is None or owner == suite]  # fmt: skip
        _print(switches, as_json, lambda d: f"{d['defect']:<34} {d['rule']}")
        return
    if list_steps:
        from conformance.stepdocs import step_reference

        click.echo(step_reference(), nl=False)
        return
    if suite is None:
        raise click.UsageError("--suite is required (or --list-rules / --list-defects)")
    if watch != bool(correlation_id):
        raise click.UsageError("--watch and --correlation-id go together")
    from conformance.runner import Conform
    from conformance.targets import Credentials

    credentials = Credentials(client_id, pass_key, onboarding_partner, web_onboarding_partner)
    _run(Conform(suite, report_dir, target_file, reference, defects, gateway_url, admin_key, features_dir,
                 correlation_id, watch_timeout, credentials))  # fmt: skip


def _run(request: Conform) -> None:
    """Run, print the verdict per rule, and exit non-zero when the run is not conformant."""
    from conformance.runner import ConformError, run

    report_dir = request.report_dir
    try:
        report, status = run(request)
    except (ConformError, ValueError, RuntimeError) as error:
        raise click.UsageError(str(error)) from None
    click.echo(f"\n{report.suite} conformance of {report.target}: score {report.score}")
    for rule in report.rules:
        click.echo(f"  {rule.status.upper():<4} {rule.id:<7} {rule.severity:<6} {rule.title}")
        if rule.status == "fail":
            for line in rule.evidence:
                click.echo(f"         {line}")
    click.echo(f"report: {report_dir / 'report.html'}")
    if status:
        failing = ", ".join(report.must_failures) or "a scenario failed"
        raise click.ClickException(f"not conformant: {failing}")


def _print(rows: list[dict[str, str]], as_json: bool, line: Callable[[dict[str, str]], str]) -> None:
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    else:
        for row in rows:
            click.echo(line(row))
