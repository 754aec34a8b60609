"""What the backend does for its front end, the gateway's callbacks and the polling fallback; no web framework here."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from conformance.reference.partner_backend.callback_auth import CallbackAuthenticator
from conformance.reference.partner_backend.config import PartnerBackendConfig
from conformance.reference.partner_backend.onekyc import DETAILS_NOT_FOUND, GatewayError, OneKycClient
from conformance.reference.partner_backend.outcome import is_terminal, result_of
from conformance.reference.partner_backend.store import KycSession, ResultStore

log = logging.getLogger(__name__)

SOURCES = ("SDK", "WEB_SDK")
USER_ID = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]{0,126}[\x21-\x7e])?")  # it travels in a header: printable ASCII
RECEIVED = {"received": True}


@dataclass(frozen=True)
class Reply:
    """The HTTP status and JSON body a route sends back."""

    status: int
    body: dict[str, Any]


@dataclass(frozen=True)
class StartRequest:
    """The front end's request to start a KTP scan for one of its users."""

    user_id: str
    source: str
    success_url: str | None
    failure_url: str | None

    @classmethod
    def parse(cls, body: Any) -> StartRequest:
        """Checked here, so the gateway never sees a request it would refuse; ValueError says what is wrong."""
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        user_id, source = body.get("userId"), body.get("source", "SDK")
        if not isinstance(user_id, str) or not user_id.strip():
            raise ValueError("userId is required (a non-empty string)")
        if not USER_ID.fullmatch(user_id):
            raise ValueError("userId must be printable ASCII, at most 128 characters, no outer spaces")
        if source not in SOURCES:
            raise ValueError("source must be SDK or WEB_SDK")
        urls = {name: body.get(name) for name in ("successUrl", "failureUrl")}
        if any(url is not None and not isinstance(url, str) for url in urls.values()):
            raise ValueError("successUrl and failureUrl must be strings")
        if source == "WEB_SDK" and not all(urls.values()):
            raise ValueError("successUrl and failureUrl are required for WEB_SDK")
        return cls(user_id, source, urls["successUrl"], urls["failureUrl"])


class KycService:
    """Starts flows, takes callbacks and polls for lost ones; every answer is a Reply."""

    def __init__(self, config: PartnerBackendConfig, gateway: OneKycClient, store: ResultStore,
                 clock: Callable[[], float]) -> None:  # fmt: skip
        self.defects = config.defects
        self.gateway = gateway
        self.store = store
        self.clock = clock
        self.authenticator = CallbackAuthenticator(config.callback_token, config.signing_secret)

    def start(self, body: Any) -> Reply:
        """E3 for a new flow, recorded as pending; the SDK gets the user token, the web front end the launch URL."""
        try:
            request = StartRequest.parse(body)
        except ValueError as problem:
            return _error(400, "BAD_REQUEST", str(problem))
        per_user = "session-id-per-user" in self.defects
        partner_session_id = f"session-{request.user_id}" if per_user else str(uuid.uuid4())
        try:
            data = self.gateway.initiate_flow(request.user_id, partner_session_id, request.source,
                                              request.success_url, request.failure_url)  # fmt: skip
        except GatewayError as error:
            log.warning("start for a user failed: %s", error)
            if error.unavailable:
                return _error(502, "GATEWAY_UNAVAILABLE", "the KYC gateway is not answering; try again later")
            return _error(502, "GATEWAY_REJECTED", f"the KYC gateway refused the flow ({error.status} {error.cause})")
        self.store.start(partner_session_id, request.user_id, self.clock())
        handle = {"launchUrl": data["launchUrl"]} if request.source == "WEB_SDK" else {"userToken": data["token"]}
        reply = {"partnerSessionId": partner_session_id, **handle, "expiresAt": data["expiresAt"]}
        if "leak-partner-token" in self.defects:
            reply["partnerToken"] = self.gateway.partner_token()
        return Reply(201, reply)

    def status(self, partner_session_id: str) -> Reply:
        """Where one flow stands, for the front end."""
        session = self.store.get(partner_session_id)
        if session is None:
            return _error(404, "NOT_FOUND", "no such KYC session")
        return Reply(200, session.to_json())

    def callback(self, headers: Mapping[str, str], raw: bytes) -> Reply:
        """The gateway's callback: authenticated, details fetched and stored; a duplicate changes nothing.

        A flow the polling fallback already resolved still has its details fetched once its callback comes: the
        callback is the gateway's word that the submission is final, and Get Submission Details is the record.
        """
        if "accept-unauthenticated-callback" not in self.defects and not self.authenticator.authentic(headers, raw):
            return _error(401, "UNAUTHORIZED", "the callback is not authenticated")
        try:
            notice = _callback_body(raw)
        except ValueError as problem:
            return _error(400, "BAD_REQUEST", str(problem))
        session = self.store.get(notice["partnerSessionId"])
        if session is None:
            return _error(404, "NOT_FOUND", "no such KYC session")
        if not is_terminal(notice):
            return Reply(200, RECEIVED)  # IN_PROGRESS, or a stale out-of-order copy: nothing to do
        if session.final and session.notified:
            if "reject-duplicate-callback" in self.defects:
                return _error(409, "DUPLICATE", "this submission's result is already stored")
            return Reply(200, RECEIVED)
        if "trust-callback-body" in self.defects:
            data: Mapping[str, Any] = notice
        else:
            try:
                data = self.gateway.submission_details(submission_id=notice["submissionId"],
                                                       partner_session_id=session.partner_session_id)  # fmt: skip
            except GatewayError as error:
                log.warning("callback for a session: fetching the details failed: %s", error)
                if error.unavailable:
                    return _error(502, "GATEWAY_UNAVAILABLE", "could not fetch the submission details; send it again")
                return _error(400, "BAD_REQUEST", f"the gateway does not know this submission ({error.cause})")
        if not is_terminal(data):
            return Reply(200, RECEIVED)  # the details are not final yet: the polling fallback will finish it
        stored = self.store.complete(session.partner_session_id, result_of(data, self.defects), self.clock())
        self.store.notified(session.partner_session_id, self.clock())
        if stored and "fail-first-callback" in self.defects:
            return _error(500, "INTERNAL", "something went wrong")
        return Reply(200, RECEIVED)

    def poll(self, session: KycSession) -> None:
        """The fallback for one pending flow: E8 by partner session id, and a terminal answer stored."""
        try:
            data = self.gateway.submission_details(partner_session_id=session.partner_session_id)
        except GatewayError as error:
            if error.code == DETAILS_NOT_FOUND:
                return  # the user has not submitted anything yet
            raise
        if is_terminal(data):
            self.store.complete(session.partner_session_id, result_of(data, self.defects), self.clock())


def _callback_body(raw: bytes) -> dict[str, Any]:
    """The SubmissionData the gateway sent, with the fields this backend relies on; ValueError otherwise."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError("the body is not JSON") from error
    if not isinstance(body, dict) or not isinstance(body.get("partnerSessionId"), str):
        raise ValueError("the body must be a SubmissionData object with a partnerSessionId")
    if is_terminal(body) and not isinstance(body.get("submissionId"), str):
        raise ValueError("a terminal callback needs its submissionId")
    return body


def _error(status: int, code: str, message: str) -> Reply:
    return Reply(status, {"error": {"code": code, "message": message}})
