"""Gateway rules: each judges the exchanges the suite made with a gateway (the mock or a real one) against the contract.

The subject is what the steps sent and got back over plain HTTP, never the mock's journal, so any gateway base URL
is judged the same way. Each exchange says what it tried (its `Case`); a rule owns a set of (operation, case) pairs
and what the contract says each answers. Severity: MUST for what openapi/gateway.yaml and the public docs state;
GW-10 (the card's fields read back exactly) is a SHOULD, since a real gateway's OCR is not bound to a synthetic card's
ground truth — GW-07 checks the same answer's shape as a MUST.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from conformance.checks.partner_backend import DETAILS, INITIATE, TOKEN, USER_TOKEN
from conformance.checks.sdk import SDK_OPERATIONS, UPLOAD
from conformance.evidence import Verdict, jwt_segment, verdict
from synthetic_ktp.model import API_KEYS

PRESIGN, CONFIRM, STATUS = SDK_OPERATIONS
DETAILS_BY_SESSION, PARTNER_DETAILS = DETAILS
APIS = {
    TOKEN: "the partner-token API",
    USER_TOKEN: "the user-token API",
    INITIATE: "initiate-flow",
    PRESIGN: "the presigned-URL API",
    UPLOAD: "object storage",
    CONFIRM: "the confirm API",
    STATUS: "the status API",
    DETAILS_BY_SESSION: "Get Submission Details",
    PARTNER_DETAILS: "Get Submission Details (partner variant)",
}
PROTECTED = (INITIATE, PRESIGN, CONFIRM, STATUS, *DETAILS)  # every API that takes an x-onekyc-token
STATES = ("INITIATED", "IN_PROGRESS", "PARTIALLY_COMPLETED", "COMPLETED", "ERROR")
TERMINAL = ("COMPLETED", "ERROR")
NEXT_ACTIONS = ("STATUS", "RETRY", "EXIT")
KTP_DATA_KEYS = tuple(API_KEYS.values())
SNAKE = ("expiry_seconds", "expires_at")  # the token APIs' casing ...
CAMEL = ("expirySeconds", "expiresAt")  # ... and initiate-flow's
_LAUNCH_TOKEN = re.compile(r"[?&]token=([^&#]+)")


class Case(StrEnum):
    """What a request tried; the value is how evidence (and the token step) says it."""

    PLAIN = ""
    NO_CLIENT_ID = "without a client-id"
    NO_PASS_KEY = "without a pass-key"
    WRONG_PASS_KEY = "with a wrong pass-key"
    SDK = "for the native SDK"
    WEB_SDK = "for the web flow"
    NO_PARTNER_SESSION = "without an x-partner-session-id"
    REUSED_SESSION = "with a reused x-partner-session-id"
    NO_SDK_SESSION = "without an x-sdk-session-id"
    BEFORE_UPLOAD = "before the upload"
    AGAIN = "a second time"
    BY_SUBMISSION = "by x-submission-id"
    BY_SESSION = "by x-partner-session-id"
    NO_LOOKUP = "without x-submission-id or x-partner-session-id"
    UNKNOWN = "for a submission that does not exist"
    NO_TOKEN = "without a token"
    FORGED_TOKEN = "with a forged token"
    EXPIRED_TOKEN = "with an expired token"


TOKEN_CASES = (Case.NO_TOKEN, Case.FORGED_TOKEN, Case.EXPIRED_TOKEN)


@dataclass(frozen=True)
class Exchange:
    """One request the suite made to the gateway and its answer, with what the request tried."""

    operation: str  # the contract's operationId
    case: Case
    method: str
    path: str  # without the query, so a presigned URL's signature stays out of the evidence
    status: int | None  # None when no answer came
    body: Any  # the parsed JSON answer, else its text
    at: float  # epoch seconds of the answer
    submission_id: str | None = None  # the submission the request was about, when the suite knew it
    partner_session_id: str | None = None
    truth: dict[str, str] | None = None  # the ktpData of the synthetic card behind the submission, if it reads VALID

    def describe(self) -> str:
        """How evidence names it: method, path, case, status."""
        answer = "no answer" if self.status is None else self.status
        return " ".join(part for part in (self.method, self.path, self.case) if part) + f" -> {answer}"

    @property
    def data(self) -> dict[str, Any]:
        """A 200 answer's envelope data, or {}."""
        data = self.body.get("data") if self.status == 200 and isinstance(self.body, dict) else None
        return data if isinstance(data, dict) else {}


@dataclass(frozen=True)
class FuzzFinding:
    """One distinct failure schemathesis found: where (operation and status) and which check it broke."""

    where: str
    problem: str

    def describe(self) -> str:
        """How evidence names it."""
        return f"{self.where}: {self.problem}"


@dataclass(frozen=True)
class FuzzRun:
    """What one schemathesis run over the contract sent and found."""

    seed: int
    cases: Mapping[str, int]  # operationId -> requests sent
    findings: tuple[FuzzFinding, ...] = ()


@dataclass(frozen=True)
class GatewayRun:
    """Everything one scenario did with the gateway: its exchanges, oldest first, and its fuzzing runs."""

    exchanges: tuple[Exchange, ...] = ()
    fuzzing: tuple[FuzzRun, ...] = ()

    @classmethod
    def of(cls, probes: Iterable[Any]) -> GatewayRun:
        """The world's gateway probes, split into exchanges and fuzzing runs."""
        probes = tuple(probes)
        exchanges = tuple(probe for probe in probes if isinstance(probe, Exchange))
        return cls(exchanges, tuple(probe for probe in probes if isinstance(probe, FuzzRun)))


Expectation = Callable[[Exchange], list[str]]
FieldCheck = Callable[[Exchange, dict[str, Any]], list[str]]


def _is(value: Any) -> str:
    """`1539 (an integer)`: a value as JSON, and its JSON type."""
    return f"{json.dumps(value)} ({_kind(value, article=True)})" if value is not None else "null"


def _the(value: Any) -> str:
    """`the string "1539"`: a value with its JSON type in front."""
    return f"the {_kind(value, article=False)} {json.dumps(value)}"


def _kind(value: Any, article: bool) -> str:
    """A value's JSON type, as evidence names it."""
    kind, an = {bool: ("boolean", "a"), int: ("integer", "an"), float: ("number", "a"), str: ("string", "a"),
                list: ("array", "an"), dict: ("object", "an")}.get(type(value), ("value", "a"))  # fmt: skip
    return f"{an} {kind}" if article else kind


def _refused(status: int, code: str | int, cause: str | None = None) -> Expectation:
    """The failure envelope with this status and errors[0] with this code (its JSON type included) and cause."""
    wanted = f"errors[0].code {_the(code)}" + (f", cause {cause}" if cause else "")

    def expectation(exchange: Exchange) -> list[str]:
        api = APIS[exchange.operation]
        if exchange.status != status:
            return [f"{api} answers {status} ({wanted}){_said(exchange.body)}"]
        body = exchange.body
        if not isinstance(body, dict):
            return [f"the body is not JSON; {api} answers the failure envelope"]
        problems = []
        if body.get("success") is not False:
            problems.append(f"success is {_is(body.get('success'))}; a failure says false")
        if body.get("data") is not None:
            problems.append(f"data is {_is(body['data'])}; a failure has data null")
        errors = body.get("errors")
        if not (isinstance(errors, list) and errors and all(isinstance(error, dict) for error in errors)):
            return [*problems, f"errors is {_is(errors)}; a failure lists {{code, cause}} objects"]
        first = errors[0]
        if type(first.get("code")) is not type(code) or first.get("code") != code:
            problems.append(f"errors[0].code is {_is(first.get('code'))}; {api} answers {_the(code)}")
        if not isinstance(first.get("cause"), str) or (cause and first["cause"] != cause):
            problems.append(f"errors[0].cause is {_is(first.get('cause'))}; {api} answers {cause or 'a string'}")
        return problems

    return expectation


def _said(body: Any) -> str:
    """What a refusal said, for an answer that should have been something else."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return f", not {errors[0].get('code')} {errors[0].get('cause')}"
    return ""


def _success(*checks: FieldCheck) -> Expectation:
    """200 with the success envelope, and its data passing every field check."""

    def expectation(exchange: Exchange) -> list[str]:
        api = APIS[exchange.operation]
        if exchange.status != 200:
            return [f"{api} answers 200 here{_said(exchange.body)}"]
        body = exchange.body
        if not (isinstance(body, dict) and body.get("success") is True and isinstance(body.get("data"), dict)):
            return ['the body is not the success envelope {"success": true, "data": {…}}']
        return [problem for check in checks for problem in check(exchange, body["data"])]

    return expectation


def _stored(exchange: Exchange) -> list[str]:
    """Object storage takes an upload with 200 or 204."""
    if exchange.status in (200, 204):
        return []
    return [f"object storage answers 200 or 204 to an upload{_said(exchange.body)}"]


def _text(data: dict[str, Any], key: str, where: str = "data") -> list[str]:
    """A non-empty string."""
    value = data.get(key)
    if isinstance(value, str) and value:
        return []
    return [f"{where}.{key} is {_is(value)}; the contract has a non-empty string"]


def _digits(data: dict[str, Any], key: str, api: str, where: str = "data") -> list[str]:
    """A string of digits, as the real API sends its numbers."""
    value = data.get(key)
    if isinstance(value, str) and value.isdigit():
        return []
    return [f"{where}.{key} is {_is(value)}; {api} answers a string of digits"]


def _url(value: Any, where: str) -> list[str]:
    """An absolute http(s) URL."""
    if isinstance(value, str) and re.match(r"https?://[^\s/]+", value):
        return []
    return [f"{where} is {_is(value)}; the contract has an absolute URL"]


def _jwt(value: Any, where: str) -> list[str]:
    """A JWT whose header carries a `kid`."""
    parts = value.split(".") if isinstance(value, str) else []
    if len(parts) != 3:
        return [f"{where} is not a JWT (header.payload.signature)"]
    try:
        header = jwt_segment(parts[0])
    except ValueError:
        return [f"{where} has no JSON header"]
    return [] if isinstance(header, dict) and header.get("kid") else [f"{where}'s header has no kid"]


def _token(exchange: Exchange, data: dict[str, Any]) -> list[str]:
    """data.token is a JWT with a kid."""
    return _jwt(data.get("token"), "data.token")


def _lifetime(casing: tuple[str, str], other: tuple[str, str]) -> FieldCheck:
    """Expiry seconds and expiry time as strings of digits in this casing (never the other), ending after the answer."""

    def check(exchange: Exchange, data: dict[str, Any]) -> list[str]:
        api = APIS[exchange.operation]
        problems = [problem for key in casing for problem in _digits(data, key, api)]
        problems += [f"data has {key}; {api} spells it {mine}" for key, mine in zip(other, casing, strict=True)
                     if key in data]  # fmt: skip
        if not problems and int(data[casing[1]]) <= exchange.at:
            problems.append(f"data.{casing[1]} {data[casing[1]]} is not after the answer ({exchange.at:.0f})")
        return problems

    return check


def _launch_url(exchange: Exchange, data: dict[str, Any]) -> list[str]:
    """data.launchUrl is an absolute URL carrying the user token as `token=`."""
    url = data.get("launchUrl")
    problems = _url(url, "data.launchUrl")
    if problems:
        return problems
    token = _LAUNCH_TOKEN.search(url)
    return _jwt(token.group(1), "data.launchUrl's token=") if token else ["data.launchUrl carries no token="]


def _slot(exchange: Exchange, data: dict[str, Any]) -> list[str]:
    """An INITIATED submission with exactly one upload slot, KTP_FRONT, holding a presigned URL."""
    problems = _text(data, "submissionId")
    if data.get("status") != "INITIATED":
        problems.append(f"data.status is {_is(data.get('status'))}; a new submission is INITIATED")
    documents = data.get("documents")
    slot = documents.get("KTP_FRONT") if isinstance(documents, dict) and len(documents) == 1 else None
    if not isinstance(slot, dict):
        shown = list(documents) if isinstance(documents, dict) else documents
        return [*problems, f"data.documents is {json.dumps(shown)}; for KTP_SCAN the contract has one slot, KTP_FRONT"]
    where = "data.documents.KTP_FRONT"
    return (problems + _url(slot.get("documentUrl"), f"{where}.documentUrl") + _text(slot, "documentReference", where)
            + _digits(slot, "expiryInSeconds", APIS[exchange.operation], where))  # fmt: skip


def _confirmed(exchange: Exchange, data: dict[str, Any]) -> list[str]:
    """The confirmed submission's id and the texts for the SDK."""
    problems = _same(data, "submissionId", exchange.submission_id)
    return problems + _ui_messages(data)


def _ui_messages(data: dict[str, Any]) -> list[str]:
    """uiMessages maps ids to {title, message} strings."""
    messages = data.get("uiMessages")
    texts = messages.values() if isinstance(messages, dict) else [None]
    if all(isinstance(text, dict) and {type(text.get("title")), type(text.get("message"))} == {str} for text in texts):
        return []
    return [f"data.uiMessages is {_is(messages)}; the contract maps ids to {{title, message}}"]


def _same(data: dict[str, Any], key: str, expected: str | None) -> list[str]:
    """An echo of what the request was about (not checked when the suite did not know it)."""
    if expected is None or data.get(key) == expected:
        return []
    return [f"data.{key} is {_is(data.get(key))}; the request was about {json.dumps(expected)}"]


def _one_of(data: dict[str, Any], key: str, allowed: tuple[Any, ...], where: str = "data") -> list[str]:
    """One of the contract's values."""
    value = data.get(key)
    if value in allowed:
        return []
    return [f"{where}.{key} is {_is(value)}; the contract allows {', '.join(map(str, allowed))}"]


def _timestamp(data: dict[str, Any], key: str) -> list[str]:
    """An ISO-8601 date-time string."""
    value = data.get(key)
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return [f"data.{key} is {_is(value)}; the contract has an ISO-8601 date-time"]
    return []


def _status(exchange: Exchange, data: dict[str, Any]) -> list[str]:
    """A status answer: the documented fields, and the next action that drives the SDK."""
    problems = _same(data, "submissionId", exchange.submission_id) + _one_of(data, "status", STATES)
    problems += _one_of(data, "submissionType", ("KTP_SCAN",)) + _timestamp(data, "createdAt")
    problems += _one_of(data, "nextAction", NEXT_ACTIONS)
    poll_after = data.get("pollAfterMs")
    if data.get("nextAction") == "STATUS" and not (type(poll_after) is int and poll_after >= 0):
        problems.append(f"data.pollAfterMs is {_is(poll_after)}; nextAction STATUS says how long to wait")
    if data.get("nextAction") == "EXIT":
        problems += _one_of(data, "status", TERMINAL) + _timestamp(data, "completedAt") + _verdict_of(data)
    return problems


def _verdict_of(data: dict[str, Any]) -> list[str]:
    """A finished COMPLETED submission says whether it is approved."""
    result = data.get("verificationResult")
    if data.get("status") != "COMPLETED" or (isinstance(result, dict) and type(result.get("isApproved")) is bool):
        return []
    return [f"data.verificationResult is {_is(result)}; a COMPLETED submission says isApproved"]


def _details(exchange: Exchange, data: dict[str, Any]) -> list[str]:
    """The SubmissionData of a finished KTP_SCAN submission, echoing the ids it was looked up by."""
    problems = _same(data, "submissionId", exchange.submission_id)
    problems += _same(data, "partnerSessionId", exchange.partner_session_id) + _one_of(data, "flow", ("KTP_SCAN",))
    problems += _one_of(data, "status", TERMINAL) + _timestamp(data, "processedAt")
    status, result, reason = data.get("status"), data.get("result"), data.get("reasonCode")
    if status == "COMPLETED":
        problems += _one_of(data, "result", ("VALID", "INVALID"))
    if (result == "VALID") != (reason == ""):
        problems.append(f'data.reasonCode is {_is(reason)} with result {_is(result)}; it is "" exactly when VALID')
    details = data.get("submissionDetails")
    if status != "COMPLETED":
        return problems
    if not isinstance(details, dict):
        return [*problems, f"data.submissionDetails is {_is(details)}; a COMPLETED submission has its details"]
    problems += _url((details.get("imageUrls") or {}).get("KTP"), "data.submissionDetails.imageUrls.KTP")
    return problems + (_ktp_data(details.get("ktpData")) if result == "VALID" else [])


def _ktp_data(ktp_data: Any) -> list[str]:
    """Every ktpData field, each a string."""
    where = "data.submissionDetails.ktpData"
    if not isinstance(ktp_data, dict):
        return [f"{where} is {_is(ktp_data)}; a VALID submission has the card's fields"]
    missing = [key for key in KTP_DATA_KEYS if key not in ktp_data]
    problems = [f"{where} lacks {', '.join(missing)}"] if missing else []
    return problems + [f"{where}.{key} is {_is(value)}; every field is a string" for key, value in ktp_data.items()
                       if not isinstance(value, str)]  # fmt: skip


def _conforms(run: GatewayRun, expected: Mapping[tuple[str, Case], Expectation], what: str,
              across: Callable[[list[Exchange]], list[str]] | None = None) -> Verdict:  # fmt: skip
    """Each exchange of the rule's (operation, case) pairs against its expectation, then across them."""
    probed = [exchange for exchange in run.exchanges if (exchange.operation, exchange.case) in expected]
    if not probed:
        return Verdict("skip", (f"no {what} exchange in this scenario",))
    offending = [f"{exchange.describe()}: {problem}" for exchange in probed
                 for problem in expected[(exchange.operation, exchange.case)](exchange)]  # fmt: skip
    offending += across(probed) if across else []
    return verdict(offending, f"{what} as the contract says: " + "; ".join(exchange.describe() for exchange in probed))


GW_01 = {
    (TOKEN, Case.PLAIN): _success(_token, _lifetime(SNAKE, CAMEL)),
    (TOKEN, Case.NO_CLIENT_ID): _refused(400, "1539", "CLIENT_ID_CAN_NOT_BE_EMPTY"),
    (TOKEN, Case.NO_PASS_KEY): _refused(400, "1539"),  # the public docs show only the client-id cause
    (TOKEN, Case.WRONG_PASS_KEY): _refused(401, "110", "UNAUTHORIZED"),
}
GW_02 = {
    (USER_TOKEN, Case.PLAIN): _success(_token, _lifetime(SNAKE, CAMEL)),
    (USER_TOKEN, Case.NO_CLIENT_ID): _refused(400, 1539, "MISSING_CLIENT_ID_OR_PASS_KEY"),
    (USER_TOKEN, Case.NO_PASS_KEY): _refused(400, 1539, "MISSING_CLIENT_ID_OR_PASS_KEY"),
    (USER_TOKEN, Case.WRONG_PASS_KEY): _refused(401, 110, "UNAUTHORIZED"),
}
GW_03 = {
    (INITIATE, Case.SDK): _success(_token, _lifetime(CAMEL, SNAKE)),
    (INITIATE, Case.WEB_SDK): _success(_launch_url, _lifetime(CAMEL, SNAKE)),
    (INITIATE, Case.NO_PARTNER_SESSION): _refused(400, "1539", "X_PARTNER_SESSION_ID_CAN_NOT_BE_EMPTY"),
    (INITIATE, Case.REUSED_SESSION): _refused(400, "1539", "DUPLICATE_PARTNER_SESSION_ID"),
}
GW_04 = {
    (PRESIGN, Case.PLAIN): _success(_slot),
    (PRESIGN, Case.NO_SDK_SESSION): _refused(400, "1539", "X_SDK_SESSION_ID_CAN_NOT_BE_EMPTY"),
}
GW_05 = {
    (UPLOAD, Case.PLAIN): _stored,
    (CONFIRM, Case.PLAIN): _success(_confirmed),
    (CONFIRM, Case.BEFORE_UPLOAD): _refused(422, "422", "INVALID_UPLOAD_ARTIFACT"),
    (CONFIRM, Case.AGAIN): _refused(409, "409", "SUBMISSION_STATE_CONFLICT"),
}
GW_06 = {
    (STATUS, Case.PLAIN): _success(_status),
    (STATUS, Case.UNKNOWN): _refused(404, "1543", "SUBMISSION_DOES_NOT_EXIST"),
}
LOOKUPS = (Case.BY_SUBMISSION, Case.BY_SESSION)
GW_07 = {
    **{(operation, case): _success(_details) for operation in DETAILS for case in LOOKUPS},
    (DETAILS_BY_SESSION, Case.NO_LOOKUP): _refused(400, "1539"),  # the cause naming both headers is the mock's
    (DETAILS_BY_SESSION, Case.UNKNOWN): _refused(400, "1552", "SUBMISSION_DOES_NOT_EXIST"),
}
GW_08 = {(operation, case): _refused(401, "110", "UNAUTHORIZED") for operation in PROTECTED for case in TOKEN_CASES}


def _ends_with_exit(polls: list[Exchange]) -> list[str]:
    """Each submission's polling ended at nextAction EXIT."""
    last: dict[str | None, Exchange] = {}
    for poll in polls:
        if poll.case is Case.PLAIN:
            last[poll.submission_id] = poll
    return [f"{poll.describe()}: polling ended at nextAction {_is(poll.data.get('nextAction'))}, never EXIT"
            for poll in last.values() if poll.data.get("nextAction") != "EXIT"]  # fmt: skip


def _lookups_agree(lookups: list[Exchange]) -> list[str]:
    """Every successful lookup of one submission answers the same result."""
    first: dict[str, Exchange] = {}
    offending = []
    for lookup in lookups:
        data = lookup.data
        if lookup.submission_id is None or not data:
            continue
        earlier = first.setdefault(lookup.submission_id, lookup)
        differing = [key for key in ("submissionId", "status", "result", "reasonCode")
                     if data.get(key) != earlier.data.get(key)]  # fmt: skip
        if _ktp(data) != _ktp(earlier.data):
            differing.append("ktpData")
        if differing:
            offending.append(f"{lookup.describe()}: {', '.join(differing)} differ from {earlier.describe()}")
    return offending


def _ktp(data: dict[str, Any]) -> Any:
    """The ktpData of a details answer, or None."""
    details = data.get("submissionDetails")
    return details.get("ktpData") if isinstance(details, dict) else None


def gw_01_partner_token(run: GatewayRun) -> Verdict:
    """E1: a kid-headed JWT with snake_case string expiry; 400 "1539" without credentials, 401 "110" with wrong ones."""
    return _conforms(run, GW_01, "partner-token")


def gw_02_user_token(run: GatewayRun) -> Verdict:
    """E2: the same token; its refusals carry the integer codes 1539 and 110 (the real API's quirk)."""
    return _conforms(run, GW_02, "user-token")


def gw_03_initiate_flow(run: GatewayRun) -> Verdict:
    """E3: a token (SDK) or a launchUrl with token= (WEB_SDK), camelCase expiry; 400 for a missing or reused session."""
    return _conforms(run, GW_03, "initiate-flow")


def gw_04_presigned_urls(run: GatewayRun) -> Verdict:
    """E4: an INITIATED submission with one KTP_FRONT upload slot; 400 "1539" without x-sdk-session-id."""
    return _conforms(run, GW_04, "presigned-URL")


def gw_05_upload_and_confirm(run: GatewayRun) -> Verdict:
    """E5 stores the image, E6 accepts it once; 422 before the upload, 409 the second time."""
    return _conforms(run, GW_05, "upload and confirm")


def gw_06_status(run: GatewayRun) -> Verdict:
    """E7: STATUS with pollAfterMs until EXIT at a terminal status; 404 "1543" for an unknown submission."""
    return _conforms(run, GW_06, "status", _ends_with_exit)


def gw_07_details(run: GatewayRun) -> Verdict:
    """E8: the KTP_SCAN SubmissionData, alike by x-submission-id and x-partner-session-id; 400 "1539" / "1552"."""
    return _conforms(run, GW_07, "submission-details", _lookups_agree)


def gw_08_token_errors(run: GatewayRun) -> Verdict:
    """Every non-token API: 401 "110" UNAUTHORIZED in the failure envelope for a missing, forged or expired token."""
    return _conforms(run, GW_08, "bad-token")


def gw_09_fuzzing(run: GatewayRun) -> Verdict:
    """Schemathesis sent cases to the contract's operations and found no failure."""
    if not run.fuzzing:
        return Verdict("skip", ("the contract was not fuzzed in this scenario",))
    offending = [finding.describe() for fuzz in run.fuzzing for finding in fuzz.findings]
    offending += [f"schemathesis sent no case (seed {fuzz.seed})" for fuzz in run.fuzzing if not fuzz.cases]
    return verdict(offending, "; ".join(f"{sum(fuzz.cases.values())} cases over {len(fuzz.cases)} operations "
                                        f"(seed {fuzz.seed}), no failure" for fuzz in run.fuzzing))  # fmt: skip


def gw_10_reads_the_card(run: GatewayRun) -> Verdict:
    """The details of a synthetic card that reads VALID carry exactly the card's printed fields."""
    lookups = [exchange for exchange in run.exchanges if exchange.operation in DETAILS and exchange.truth is not None]
    if not lookups:
        return Verdict("skip", ("no details of a synthetic card were fetched in this scenario",))
    offending = []
    for lookup in lookups:
        data = lookup.data
        if data.get("result") != "VALID":
            offending.append(f"{lookup.describe()}: result {data.get('result')} ({data.get('reasonCode')}); "
                             "the card is a clean synthetic KTP that reads VALID")  # fmt: skip
            continue
        read = _ktp(data) if isinstance(_ktp(data), dict) else {}
        offending += [f"{lookup.describe()}: ktpData.{key} is {_is(read.get(key))}; the card says {json.dumps(value)}"
                      for key, value in lookup.truth.items() if read.get(key) != value]  # fmt: skip
    return verdict(offending, f"{len(lookups)} lookup(s) read every field of the card exactly")
