"""The gateway's error catalogue: real HTTP statuses, codes and causes, so partners see exactly what IAB sends."""

from __future__ import annotations

from dataclasses import dataclass

TOKEN_SERVICE = "ONEKYC_TOKEN_SERVICE"


@dataclass(eq=False)
class GatewayError(Exception):
    """A failure answered in the real envelope: `{"success": false, "errors": [{code, cause, entity?}]}`."""

    status: int
    code: str | int  # a string almost everywhere; the v2 user-token API answers integers
    cause: str
    entity: str | None = None

    def error_item(self) -> dict[str, str | int]:
        """The `errors[]` item."""
        item: dict[str, str | int] = {"code": self.code, "cause": self.cause}
        if self.entity:
            item["entity"] = self.entity
        return item


def _error(status: int, code: str, cause: str, entity: str | None = None) -> GatewayError:
    return GatewayError(status, code, cause, entity)


UNAUTHORIZED = _error(401, "110", "UNAUTHORIZED")
FORBIDDEN = _error(403, "110", "FORBIDDEN")
ONBOARDING_PARTNER_NOT_OF_CLIENT = _error(403, "110", "ONBOARDING_PARTNER_DOES_NOT_BELONG_TO_CLIENT")
TOKEN_UNAUTHORIZED = _error(401, "110", "UNAUTHORIZED", TOKEN_SERVICE)
USER_TOKEN_UNAUTHORIZED = GatewayError(401, 110, "UNAUTHORIZED", TOKEN_SERVICE)
USER_TOKEN_ONBOARDING_PARTNER = _error(403, "110", "ONBOARDING_PARTNER_DOES_NOT_BELONG_TO_CLIENT", TOKEN_SERVICE)
DUPLICATE_PARTNER_SESSION = _error(400, "1539", "DUPLICATE_PARTNER_SESSION_ID")
INVALID_SUBMISSION_TYPE = _error(400, "1542", "INVALID_SUBMISSION_TYPE")
INVALID_CONFIRM_REQUEST = _error(400, "1542", "INVALID_CONFIRM_UPLOAD_REQUEST")
INVALID_SUBMISSION_ID = _error(400, "1541", "INVALID_SUBMISSION_ID")
CONFIRM_SUBMISSION_NOT_FOUND = _error(404, "404", "SUBMISSION_DOES_NOT_EXIST")
STATUS_SUBMISSION_NOT_FOUND = _error(404, "1543", "SUBMISSION_DOES_NOT_EXIST")
STATE_CONFLICT = _error(409, "409", "SUBMISSION_STATE_CONFLICT")
INVALID_UPLOAD_ARTIFACT = _error(422, "422", "INVALID_UPLOAD_ARTIFACT")
QUOTA_EXCEEDED = _error(429, "429", "SUBMISSION_QUOTA_EXCEEDED")
TOO_MANY_REQUESTS = _error(429, "429", "TOO_MANY_REQUESTS")
GENERIC = _error(500, "900", "GENERIC_SERVICE_ERROR")
UNAVAILABLE = _error(503, "903", "SERVICE_UNAVAILABLE")
DETAILS_LOOKUP_MISSING = _error(400, "1539", "X_SUBMISSION_ID_OR_X_PARTNER_SESSION_ID_CAN_NOT_BE_EMPTY")
DETAILS_NOT_FOUND = _error(400, "1552", "SUBMISSION_DOES_NOT_EXIST")
DETAILS_NOT_OF_USER = _error(400, "1553", "PARTNER_SESSION_ID_DOES_NOT_BELONG_TO_THE_USER")
DETAILS_FORBIDDEN = _error(403, "903", "FORBIDDEN")
NOT_FOUND = _error(404, "404", "NOT_FOUND")
METHOD_NOT_ALLOWED = _error(405, "405", "METHOD_NOT_ALLOWED")

# Statuses an injected fault may answer with, and the error each stands for.
FAULT_ERRORS: dict[int, GatewayError] = {
    400: _error(400, "1539", "BAD_REQUEST"),
    401: UNAUTHORIZED,
    403: FORBIDDEN,
    404: NOT_FOUND,
    409: STATE_CONFLICT,
    422: INVALID_UPLOAD_ARTIFACT,
    429: TOO_MANY_REQUESTS,
    500: GENERIC,
    503: UNAVAILABLE,
}

# The cause a missing or empty header has, where it is not simply `<HEADER>_CAN_NOT_BE_EMPTY`.
HEADER_CAUSES = {
    "x-onboarding-partner": "COE_PARTNER_CAN_NOT_BE_EMPTY",
    "x-partner-user-id": "PARTNER_USER_ID_CAN_NOT_BE_EMPTY",
    "x-partner-user-id-type": "PARTNER_USER_ID_TYPE_CAN_NOT_BE_EMPTY",
    "x-mock-scenario": "INVALID_MOCK_SCENARIO",
}
DETAILS_OPERATIONS = ("details.submission_details", "details.partner_submission_details")
DETAILS_LOOKUP_HEADERS = ("x-submission-id", "x-partner-session-id")
BODY_FIELD_CAUSES = {"flow": "INVALID_FLOW", "source": "INVALID_SOURCE"}


def fault_error(status: int) -> GatewayError:
    """The envelope an injected HTTP-status fault answers with."""
    return FAULT_ERRORS.get(status, _error(status, str(status), "INJECTED_FAULT"))


def invalid_parameter(operation: str | None, location: str, name: str) -> GatewayError:
    """What the real gateway answers when a header, query or path parameter is missing or malformed."""
    if operation == "tokens.partner_token":
        return _error(400, "1539", f"{_constant(name)}_CAN_NOT_BE_EMPTY", TOKEN_SERVICE)
    if operation == "tokens.user_token":
        cause = "MISSING_CLIENT_ID_OR_PASS_KEY" if name in ("client-id", "pass-key") else _header_cause(name)
        return GatewayError(400, 1539, cause, TOKEN_SERVICE)
    if location == "query" and name == "submissionType":
        return INVALID_SUBMISSION_TYPE
    if location == "path":
        return INVALID_SUBMISSION_ID
    if operation in DETAILS_OPERATIONS:
        if name == "x-partner-user-id":
            return _error(400, "1550", "PARTNER_USER_ID_CAN_NOT_BE_EMPTY")
        if name in DETAILS_LOOKUP_HEADERS:  # an empty lookup header is no lookup header
            return DETAILS_LOOKUP_MISSING
    return _error(400, "1539", _header_cause(name))


def invalid_body(operation: str | None, field: str | None, empty: bool = False) -> GatewayError:
    """What the real gateway answers for a request body it cannot accept (`empty`: the field was sent as "")."""
    if operation == "submissions.confirm_submission":
        return INVALID_CONFIRM_REQUEST
    if field in BODY_FIELD_CAUSES:
        return _error(400, "1539", BODY_FIELD_CAUSES[field])
    if field and empty:
        return missing_field(field)
    if field:
        return _error(400, "1539", f"INVALID_{_constant(field)}")
    return _error(400, "1539", "INVALID_REQUEST_BODY")


def missing_field(field: str) -> GatewayError:
    """A body field that becomes required by another field's value (e.g. redirect URLs for WEB_SDK)."""
    return _error(400, "1539", f"{_constant(field)}_CAN_NOT_BE_EMPTY")


def _header_cause(name: str) -> str:
    return HEADER_CAUSES.get(name, f"{_constant(name)}_CAN_NOT_BE_EMPTY")


def _constant(name: str) -> str:
    """`x-sdk-session-id` → `X_SDK_SESSION_ID`; `successRedirectionUrl` → `SUCCESS_REDIRECTION_URL`."""
    snake = "".join(f"_{char}" if char.isupper() else char for char in name)
    return snake.replace("-", "_").upper().lstrip("_")
