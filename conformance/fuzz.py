"""Schemathesis over real HTTP with a partner's credentials: the gateway suite's GW-09 and tests/test_schemathesis.py.

Token-protected operations get valid tokens from auth providers; every other positive case of a token operation
carries the partner's own credentials, so the 200 paths are fuzzed too. The gateway suite runs schemathesis' engine
(examples, coverage and fuzzing phases, all default checks) over every operation but the mock-only storage stand-in,
which a real gateway serves from object storage elsewhere; the test suite parametrizes pytest with the same pieces.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import schemathesis
from schemathesis.auths import AuthStorage
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema

from conformance.checks.gateway import FuzzFinding, FuzzRun

OPENAPI = Path(__file__).resolve().parent.parent / "openapi" / "gateway.yaml"
TOKEN_HEADER = "x-onekyc-token"
STORAGE_TAG = "storage"  # the mock's stand-in for the presigned object-storage URLs
PARTNER_TOKEN_OPERATIONS = ["flows.initiate_flow", "details.submission_details", "details.partner_submission_details"]
USER_TOKEN_OPERATIONS = [
    "submissions.presigned_urls", "submissions.confirm_submission", "submissions.submission_status",
]  # fmt: skip
# The real gateway refuses some schema-valid requests with 400 and a business cause, not 404/409: an unknown
# submission ("1552"), a reused partner session (DUPLICATE_PARTNER_SESSION_ID), neither lookup header ("1539",
# which OpenAPI 3.0 cannot express), a flow or submission type other than KTP Scan (INVALID_FLOW, "1542"), a
# WEB_SDK start without redirect URLs. positive_data_acceptance stays on with 400 added for exactly these operations.
BUSINESS_400_OPERATIONS = ["flows.initiate_flow", "submissions.presigned_urls", "details.submission_details",
                           "details.partner_submission_details"]  # fmt: skip
POSITIVE_STATUSES_WITH_400 = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]


@dataclass(frozen=True)
class Identity:
    """Whose credentials the fuzzer uses: the partner's, and one user of its onboarding partner."""

    client_id: str
    pass_key: str
    onboarding_partner: str
    user_id: str
    user_id_type: str = "CLIENT_X_USER_ID"

    @property
    def credentials(self) -> dict[str, str]:
        """The token APIs' credential headers."""
        return {"client-id": self.client_id, "pass-key": self.pass_key}

    @property
    def user(self) -> dict[str, str]:
        """The headers that name the user."""
        return {"x-onboarding-partner": self.onboarding_partner, "x-partner-user-id": self.user_id,
                "x-partner-user-id-type": self.user_id_type}  # fmt: skip

    def partner_token(self, base: str) -> str:
        """E1."""
        return token(base, "/v1/coe/partner/authentication", self.credentials)

    def user_token(self, base: str) -> str:
        """E2 for the user."""
        return token(base, "/v2/coe/authentication", {**self.credentials, **self.user})


def token(base: str, path: str, headers: dict[str, str]) -> str:
    """A token from one of the token paths."""
    answer = requests.get(base + path, headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]["token"]


def config(base_url: str, seed: int, max_examples: int, **settings: Any) -> SchemathesisConfig:
    """A fixed seed, no example database (no replays of older runs) and 400 allowed for the business refusals."""
    return SchemathesisConfig.from_dict({
        "seed": seed,
        "base-url": base_url,
        "generation": {"max-examples": max_examples, "database": "none"},
        "operations": [{
            "include-operation-id": BUSINESS_400_OPERATIONS,
            "checks": {"positive_data_acceptance": {"expected-statuses": POSITIVE_STATUSES_WITH_400}},
        }],
        **settings,
    })  # fmt: skip


def register_auth(storage: AuthStorage, identity: Identity) -> None:
    """A partner token for the partner-backend operations, a user token for the SDK-facing ones."""

    class PartnerToken:
        """A valid partner token (E1)."""

        def get(self, case: Any, context: Any) -> str:
            return identity.partner_token(context.operation.schema.get_base_url())

        def set(self, case: Any, data: str, context: Any) -> None:
            case.headers = {**(case.headers or {}), TOKEN_HEADER: data}

    class UserToken(PartnerToken):
        """A valid user token (E2)."""

        def get(self, case: Any, context: Any) -> str:
            return identity.user_token(context.operation.schema.get_base_url())

    storage.auth().apply_to(operation_id=PARTNER_TOKEN_OPERATIONS)(PartnerToken)
    storage.auth().apply_to(operation_id=USER_TOKEN_OPERATIONS)(UserToken)


@dataclass
class Lender:
    """Lends the identity's credentials to every other positive case of an operation, so its 200 path is fuzzed too."""

    identity: Identity
    positives: Counter[str] = field(default_factory=Counter)

    def turn(self, case: Any) -> int | None:
        """The case's number among its operation's positive cases when it is one to lend to, else None."""
        if case.meta is None or not case.meta.generation.mode.is_positive:
            return None
        operation_id = operation_id_of(case)
        self.positives[operation_id] += 1
        return None if self.positives[operation_id] % 2 else self.positives[operation_id]

    def lend(self, case: Any, number: int) -> None:
        """A token operation's case gets the credentials, and every other time the onboarding partner too."""
        case.headers = {**(case.headers or {}), **self.identity.credentials}
        if "x-onboarding-partner" in case.headers and number % 4 == 0:
            case.headers["x-onboarding-partner"] = self.identity.onboarding_partner

    def __call__(self, context: Any, case: Any) -> Any:
        """Schemathesis' map_case hook: lend to the token operations' cases whose turn it is."""
        number = self.turn(case)
        if number is not None and operation_id_of(case).startswith("tokens."):
            self.lend(case, number)
        return case


def operation_id_of(case: Any) -> str:
    """The case's operationId, as the spec names it."""
    return case.operation.definition.raw["operationId"]


def fuzz(base_url: str, identity: Identity, seed: int, max_examples: int) -> FuzzRun:
    """Run the examples, coverage and fuzzing phases on the contract's gateway operations; every distinct failure."""
    settings = config(base_url, seed, max_examples, phases={"stateful": {"enabled": False}})
    schema = schemathesis.openapi.from_path(OPENAPI, config=settings).exclude(tag=STORAGE_TAG)
    register_auth(schema.auth, identity)
    schema.hook("map_case")(Lender(identity))
    sent: Counter[str] = Counter()
    findings: dict[tuple[str, str], FuzzFinding] = {}  # (where, kind of problem) -> its first finding
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            for finding in _record(event.recorder, sent):
                findings.setdefault((finding.where, finding.problem), finding)
        elif isinstance(event, events.NonFatalError):
            title, detail = event.info.title, event.info.message.splitlines()[0]
            findings.setdefault((event.label, title), FuzzFinding(event.label, f"{title}: {detail}"))
        elif isinstance(event, events.FatalError):
            raise event.exception
    return FuzzRun(seed, dict(sent), tuple(findings.values()))


def _record(recorder: Any, sent: Counter[str]) -> list[FuzzFinding]:
    """Count one scenario's answered requests per operation; its failed checks, named by operation and status."""
    found = []
    for case_id, interaction in recorder.interactions.items():
        if interaction.response is not None:
            sent[operation_id_of(recorder.cases[case_id].value)] += 1
    for case_id, checks in recorder.checks.items():
        case = recorder.cases[case_id].value
        response = recorder.find_response(case_id=case_id)
        where = f"{case.method} {case.operation.path} -> {response.status_code if response else 'no answer'}"
        found += [FuzzFinding(where, check.failure_info.failure.title) for check in checks if check.failure_info]
    return found
