"""The outermost ASGI layer: hands the sandbox to handlers, injects faults, bounds uploads and journals traffic."""

from __future__ import annotations

import asyncio
import json
import random
import socket
import struct
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from werkzeug.routing import Map

from mock_gateway.domain import errors
from mock_gateway.domain.overrides import RequestIdentity
from mock_gateway.domain.presign import entity_too_large
from mock_gateway.handlers.context import SCOPE_KEY
from mock_gateway.handlers.envelope import JSON, failure_body, storage_error_xml
from mock_gateway.routes import METHODS, STORAGE_OPERATIONS, RouteMatch
from mock_gateway.sandbox import Sandbox

CAPTURE_BYTES = 256 * 1024
TOKEN_OPERATIONS = ("tokens.partner_token", "tokens.user_token")
# Each token API refuses in its own words (entity, and an integer code on v2).
EXPIRED_TOKEN_ERRORS = {
    "tokens.partner_token": errors.TOKEN_UNAUTHORIZED, "tokens.user_token": errors.USER_TOKEN_UNAUTHORIZED,
}  # fmt: skip


class InjectedConnectionResetError(ConnectionResetError):
    """Raised where no socket can be reset (the in-process test client)."""


@dataclass
class Exchange:
    """One request/response pair as it passes the edge."""

    match: RouteMatch
    headers: Headers
    identity: RequestIdentity  # who the request is for, worked out once for the fault and the journal
    stored_submission_id: str | None  # a storage request's attempt, found by its document reference
    request_body: bytearray = field(default_factory=bytearray)
    request_bytes: int = 0
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: bytearray = field(default_factory=bytearray)
    error: str | None = None

    @property
    def operation(self) -> str:
        """The operationId."""
        return self.match.route.operation_id


class Edge:
    """Wraps the connexion app; journals gateway traffic (not the control plane) after each response."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox, pages: Map | None = None) -> None:
        self.app = app
        self.sandbox = sandbox
        self.pages = pages  # the routes outside the specs: the hosted web flow and the dashboard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope[SCOPE_KEY] = self.sandbox
        if "\n" in scope["path"]:
            # connexion mounts each API on a `.*` pattern, which stops at a newline, yet Flask would still route the
            # request, without its operation (a 500). Escaped, an id that cannot exist simply is not found.
            scope["path"] = scope["path"].replace("\n", "%0A")
        match = self.sandbox.routes.match(scope["method"], scope["path"])
        if match is None:
            await self.app(scope, receive, self._allow_on_405(scope["path"], send))
            return
        if match.route.control_plane:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        exchange = Exchange(match, headers, *self._identity(match, headers))
        started = time.perf_counter()
        try:
            await self._handle(exchange, scope, receive, send)
        finally:
            self._record(exchange, scope, (time.perf_counter() - started) * 1000)

    async def _handle(self, exchange: Exchange, scope: Scope, receive: Receive, send: Send) -> None:
        async def capture_request() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                exchange.request_bytes += len(chunk)
                if len(exchange.request_body) < CAPTURE_BYTES:
                    exchange.request_body += chunk[: CAPTURE_BYTES - len(exchange.request_body)]
            return message

        async def capture_response(message: Message) -> None:
            if message["type"] == "http.response.start":
                exchange.status = message["status"]
                exchange.response_headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in message["headers"]}
            elif message["type"] == "http.response.body" and len(exchange.response_body) < CAPTURE_BYTES:
                exchange.response_body += message.get("body", b"")[: CAPTURE_BYTES - len(exchange.response_body)]
            await send(message)

        fault = self.sandbox.overrides.take(exchange.identity, ("fault",))
        if fault and await self._inject(fault["fault"], exchange, send, capture_response):
            return
        limit = self.sandbox.settings.upload_max_bytes
        refusal = entity_too_large(limit)
        too_large = storage_error_xml(refusal.code, refusal.message)
        if self._too_large(exchange):
            await _answer(capture_response, 413, "application/xml", too_large)
            return
        if exchange.operation == "storage.upload_document" and "content-length" not in exchange.headers:
            # A chunked upload: WSGI reads no body without a length, so buffer it (bounded) and state its length.
            body = await _read_body(capture_request, limit)
            if body is None:
                await _answer(capture_response, 413, "application/xml", too_large)
                return
            scope, capture_request = _with_body(scope, body)
        await self.app(scope, capture_request, capture_response)

    async def _inject(self, fault: dict[str, Any], exchange: Exchange, send: Send, respond: Send) -> bool:
        """Apply a fault; True when it answered (or cut) the request itself."""
        latency_ms = fault.get("latencyMs", 0) + random.uniform(0, fault.get("latencyJitterMs", 0))
        if latency_ms:
            await asyncio.sleep(latency_ms / 1000)
        if fault.get("connectionReset"):
            exchange.error = "injected connection reset"
            _reset_connection(send)
            return True
        error = None
        takes_token = exchange.match.route.secured_by_token or exchange.operation in TOKEN_OPERATIONS
        if fault.get("expireToken") and takes_token:
            error = EXPIRED_TOKEN_ERRORS.get(exchange.operation, errors.UNAUTHORIZED)
        elif fault.get("status"):
            error = errors.fault_error(int(fault["status"]))
        if error is None:
            return False
        exchange.error = "injected fault"
        if exchange.operation in STORAGE_OPERATIONS:
            await _answer(respond, error.status, "application/xml", storage_error_xml("InjectedFault", error.cause))
        else:
            await _answer(respond, error.status, JSON, json.dumps(failure_body(error)))
        return True

    def _allow_on_405(self, path: str, send: Send) -> Send:
        """A 405 names every method the specs give the path (RFC 9110); starlette would name one route's only.

        Paths outside the specs (the hosted web flow, the dashboard) name the methods of their own routes.
        """

        async def send_with_allow(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                methods = [method.upper() for method in METHODS if self.sandbox.routes.match(method, path)]
                if not methods and self.pages is not None:
                    methods = sorted(self.pages.bind("").allowed_methods(path))
                headers = [(name, value) for name, value in message.get("headers", []) if name.lower() != b"allow"]
                message = {**message, "headers": [*headers, (b"allow", ", ".join(methods).encode())]}
            await send(message)

        return send_with_allow

    def _too_large(self, exchange: Exchange) -> bool:
        if exchange.operation != "storage.upload_document":
            return False
        length = exchange.headers.get("content-length", "")
        return length.isdigit() and int(length) > self.sandbox.settings.upload_max_bytes

    def _identity(self, match: RouteMatch, headers: Headers) -> tuple[RequestIdentity, str | None]:
        """From the token (or a storage request's attempt), else the headers; and that attempt's id."""
        operation = match.route.operation_id
        if operation in STORAGE_OPERATIONS:
            submission = self.sandbox.records.submission_by_reference(match.path_params["documentReference"])
            if submission is not None:
                return self.sandbox.gateway.identity(submission, operation), submission.submission_id
        claims = self.sandbox.tokens.identify(headers.get("x-onekyc-token"))
        identity = RequestIdentity(
            client_id=claims.client_id if claims else headers.get("client-id"),
            partner_user_id=(claims.user_id if claims else None) or headers.get("x-partner-user-id"),
            partner_session_id=headers.get("x-partner-session-id"),
            operation=operation,
        )
        return identity, None

    def _record(self, exchange: Exchange, scope: Scope, latency_ms: float) -> None:
        request_json = _json(exchange.request_body, exchange.headers.get("content-type", ""))
        response_json = _json(exchange.response_body, exchange.response_headers.get("content-type", ""))
        identity = exchange.identity
        partner_id = identity.client_id
        if exchange.operation in TOKEN_OPERATIONS and exchange.status != 200:
            partner_id = None  # an unauthenticated caller must not write into a partner's journal
        query = scope.get("query_string", b"").decode("latin-1")
        # a details lookup by x-submission-id still belongs to its partner session
        partner_session_id = identity.partner_session_id or _data_field(response_json, "partnerSessionId")
        self.sandbox.journal.record(
            kind="request", method=scope["method"], url=scope["path"] + (f"?{query}" if query else ""),
            request_headers=dict(exchange.headers), request_body=self._body(exchange, request_json, request=True),
            status=exchange.status, response_headers=exchange.response_headers,
            response_body=self._body(exchange, response_json, request=False), latency_ms=latency_ms,
            partner_id=partner_id, operation=exchange.operation, partner_session_id=partner_session_id,
            submission_id=self._submission_id(exchange, request_json, response_json),
            sdk_session_id=exchange.headers.get("x-sdk-session-id"), error=exchange.error,
        )  # fmt: skip

    def _body(self, exchange: Exchange, parsed: Any, *, request: bool) -> Any:
        """Images become references to the stored object; everything else is kept (the journal masks it)."""
        raw = exchange.request_body if request else exchange.response_body
        content_type = exchange.headers.get("content-type", "") if request else exchange.response_headers.get(
            "content-type", "")  # fmt: skip
        if content_type.startswith("image/") or (request and exchange.operation == "storage.upload_document"):
            size = exchange.request_bytes if request else len(raw)
            reference = exchange.match.path_params.get("documentReference")
            return {"ref": reference, "bytes": size, "contentType": content_type or None} if size else None
        if parsed is not None:
            return parsed
        return bytes(raw).decode("utf-8", "replace") if raw else None

    def _submission_id(self, exchange: Exchange, request_json: Any, response_json: Any) -> str | None:
        candidates = (
            exchange.match.path_params.get("submissionId"),
            exchange.headers.get("x-submission-id"),
            request_json.get("submissionId") if isinstance(request_json, dict) else None,
            _data_field(response_json, "submissionId"),
        )
        found = next((c for c in candidates if isinstance(c, str) and c), None)
        return found or exchange.stored_submission_id


async def _answer(respond: Send, status: int, content_type: str, body: str) -> None:
    payload = body.encode()
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(payload)).encode())]
    await respond({"type": "http.response.start", "status": status, "headers": headers})
    await respond({"type": "http.response.body", "body": payload})


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None as soon as it passes `limit` bytes."""
    body = bytearray()
    while True:
        message = await receive()
        body += message.get("body", b"")
        if len(body) > limit:
            return None
        if not message.get("more_body", False):
            return bytes(body)


def _with_body(scope: Scope, body: bytes) -> tuple[Scope, Receive]:
    """The request again, as if it had come with a Content-Length: the scope and a receive that replays `body`."""
    headers = [(k, v) for k, v in scope["headers"] if k not in (b"content-length", b"transfer-encoding")]
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return {**scope, "headers": [*headers, (b"content-length", str(len(body)).encode())]}, replay


def _reset_connection(send: Send) -> None:
    """Abort the TCP connection with an RST, as a crashed upstream would; uvicorn exposes the transport."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise InjectedConnectionResetError("injected connection reset")
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def _json(raw: bytearray, content_type: str) -> Any:
    if "json" not in content_type or not raw:
        return None
    try:
        return json.loads(bytes(raw))
    except ValueError:
        return None


def _data_field(envelope: Any, name: str) -> Any:
    if isinstance(envelope, dict) and isinstance(envelope.get("data"), dict):
        return envelope["data"].get(name)
    return None
