"""Every framework and domain failure answered in the real envelope, with the real codes and causes."""

from __future__ import annotations

import json
import logging

from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from mock_gateway.domain import errors
from mock_gateway.domain.presign import StorageError
from mock_gateway.handlers.context import SCOPE_KEY
from mock_gateway.handlers.envelope import JSON, failure_response, storage_error_response
from mock_gateway.handlers.validation import BodyProblem, ParameterProblem
from mock_gateway.routes import CONTROL_PREFIX, STORAGE_OPERATIONS, RouteMatch

LOG = logging.getLogger("ktp_sandbox.errors")
MOCK_CAUSES = {
    400: "MOCK_INVALID_REQUEST", 401: "MOCK_UNAUTHORIZED", 403: "MOCK_FORBIDDEN", 404: "MOCK_NOT_FOUND",
    405: "MOCK_METHOD_NOT_ALLOWED", 409: "MOCK_CONFLICT", 500: "MOCK_INTERNAL_ERROR",
}  # fmt: skip


class ControlPlaneError(Exception):
    """A control-plane request the mock refuses; answered with a message, unlike the real gateway's errors."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def register(app: object) -> None:
    """Install the handlers on a connexion app."""
    app.add_error_handler(errors.GatewayError, on_gateway_error)
    app.add_error_handler(StorageError, on_storage_error)
    app.add_error_handler(ControlPlaneError, on_control_plane_error)
    app.add_error_handler(ProblemException, on_problem)
    app.add_error_handler(HTTPException, on_problem)
    app.add_error_handler(MultiPartException, on_problem)
    app.add_error_handler(UnicodeDecodeError, on_problem)
    app.add_error_handler(Exception, on_unexpected)


def on_gateway_error(request: ConnexionRequest, error: errors.GatewayError) -> ConnexionResponse:
    """Domain errors are already the real ones."""
    return failure_response(error)


def on_storage_error(request: ConnexionRequest, error: StorageError) -> ConnexionResponse:
    """The storage stand-in answers like OSS."""
    return storage_error_response(error.status, error.code, error.message)


def on_control_plane_error(request: ConnexionRequest, error: ControlPlaneError) -> ConnexionResponse:
    """The control plane explains itself."""
    return _mock_error(error.status, error.message)


def on_problem(request: ConnexionRequest, problem: Exception) -> ConnexionResponse:
    """Validation, security and routing failures, mapped per operation."""
    status = getattr(problem, "status", None) or getattr(problem, "status_code", 400)
    detail = getattr(problem, "detail", None) or str(problem)
    match = _match(request)
    operation = match.route.operation_id if match else None
    if _control_plane(request, match):
        return _mock_error(400 if status == 415 else status, detail)
    if operation in STORAGE_OPERATIONS:
        if status in (401, 403):
            return storage_error_response(403, "AccessDenied", detail)
        return storage_error_response(400, "InvalidArgument", detail)
    return failure_response(_gateway_error(problem, status, operation))


def on_unexpected(request: ConnexionRequest, error: Exception) -> ConnexionResponse:
    """A bug of ours: logged with its traceback, answered as the real gateway's generic error."""
    LOG.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    if _control_plane(request, _match(request)):
        return _mock_error(500, "internal error")
    return failure_response(errors.GENERIC)


def _gateway_error(problem: Exception, status: int, operation: str | None) -> errors.GatewayError:
    if isinstance(problem, ParameterProblem):
        return errors.invalid_parameter(operation, problem.location, problem.name)
    if isinstance(problem, BodyProblem):
        return errors.invalid_body(operation, problem.field, problem.empty)
    if status == 401:
        return errors.TOKEN_UNAUTHORIZED if operation and operation.startswith("tokens.") else errors.UNAUTHORIZED
    if status == 403:
        return errors.FORBIDDEN
    if status == 404:
        return errors.NOT_FOUND
    if status == 405:
        return errors.METHOD_NOT_ALLOWED
    if status in (400, 415):
        return errors.invalid_body(operation, None)
    return errors.GENERIC if status >= 500 else errors.GatewayError(status, str(status), "BAD_REQUEST")


def _match(request: ConnexionRequest) -> RouteMatch | None:
    sandbox = request.scope.get(SCOPE_KEY)
    return sandbox.routes.match(request.method, request.url.path) if sandbox else None


def _control_plane(request: ConnexionRequest, match: RouteMatch | None) -> bool:
    if match is not None:
        return match.route.control_plane
    return request.url.path.startswith(CONTROL_PREFIX)


def _mock_error(status: int, message: str) -> ConnexionResponse:
    item = {"code": str(status), "cause": MOCK_CAUSES.get(status, "MOCK_ERROR"), "message": message}
    body = {"success": False, "errors": [item], "data": None}
    return ConnexionResponse(status_code=status, content_type=JSON, body=json.dumps(body))
