"""The KTP Scan flow's rules, endpoint by endpoint (E1–E8), independent of the web framework."""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mock_gateway.clock import Clock
from mock_gateway.domain import errors
from mock_gateway.domain.overrides import Overrides, RequestIdentity
from mock_gateway.domain.presign import Presigner, StorageError, entity_too_large
from mock_gateway.domain.records import PartnerSession, Records, Submission
from mock_gateway.domain.tokens import IssuedToken, TokenClaims, TokenService
from mock_gateway.domain.views import DOCUMENT_KEY, status_view, submission_data, ui_message
from mock_gateway.images import ImageDecodeError, check_image
from mock_gateway.settings import Partner, Settings
from mock_gateway.store import EXTENSIONS, ImageStore

LAUNCH_PATH = "/kyc/v2/index.html#/launch-v1?token="
SUPPORTED_FLOW = "KTP_SCAN"


@dataclass(frozen=True)
class Caller:
    """The SDK-facing request's identity: its verified user token and the session headers."""

    claims: TokenClaims
    sdk_session_id: str
    partner_session_id: str


class KtpScanGateway:
    """One instance per app; every method either returns the `data` object or raises GatewayError."""

    def __init__(self, settings: Settings, clock: Clock, records: Records, overrides: Overrides,
                 tokens: TokenService, presigner: Presigner, images: ImageStore) -> None:  # fmt: skip
        self.settings = settings
        self.clock = clock
        self.records = records
        self.overrides = overrides
        self.tokens = tokens
        self.presigner = presigner
        self.images = images

    # E1, E2 -------------------------------------------------------------------------------------
    def partner_token(self, client_id: str, pass_key: str) -> dict[str, str]:
        """E1: a partner token for valid credentials."""
        partner = self._authenticate(client_id, pass_key, errors.TOKEN_UNAUTHORIZED)
        issued = self.tokens.issue(TokenClaims("partner", partner.client_id, 0), self.settings.partner_token_seconds)
        return _snake_token(issued)

    def user_token(self, client_id: str, pass_key: str, onboarding_partner: str, user_id: str, user_id_type: str
                   ) -> dict[str, str]:  # fmt: skip
        """E2: a user token bound to the partner, its onboarding partner and the partner user."""
        partner = self._authenticate(client_id, pass_key, errors.USER_TOKEN_UNAUTHORIZED)
        if onboarding_partner not in partner.onboarding_partners:
            raise errors.USER_TOKEN_ONBOARDING_PARTNER
        claims = TokenClaims("user", partner.client_id, 0, onboarding_partner, user_id, user_id_type)
        return _snake_token(self.tokens.issue(claims, self.settings.user_token_seconds))

    def _authenticate(self, client_id: str, pass_key: str, failure: errors.GatewayError) -> Partner:
        partner = self.settings.partner(client_id)
        if partner is None or not hmac.compare_digest(partner.pass_key.encode(), pass_key.encode()):
            raise failure
        return partner

    # E3 -----------------------------------------------------------------------------------------
    def initiate_flow(self, claims: TokenClaims, onboarding_partner: str, user_id: str, user_id_type: str,
                      partner_session_id: str, body: Mapping[str, Any], header_scenario: str | None
                      ) -> dict[str, str]:  # fmt: skip
        """E3: open a partner session and hand back a user token (SDK) or a launch URL (WEB_SDK)."""
        partner = self.settings.partner(claims.client_id)
        if partner is None or onboarding_partner not in partner.onboarding_partners:
            raise errors.ONBOARDING_PARTNER_NOT_OF_CLIENT
        if body["flow"] != SUPPORTED_FLOW:
            raise errors.invalid_body("flows.initiate_flow", "flow")
        web = body["source"] == "WEB_SDK"
        if web:
            for field in ("successRedirectionUrl", "failureRedirectionUrl"):
                if not body.get(field):
                    raise errors.missing_field(field)
        details = body.get("additionalDetails") or {}
        session = PartnerSession(
            client_id=claims.client_id, partner_session_id=partner_session_id, source=body["source"],
            flow=body["flow"], created_at=self.clock.now(), onboarding_partner=onboarding_partner, user_id=user_id,
            user_id_type=user_id_type, success_url=body.get("successRedirectionUrl"),
            failure_url=body.get("failureRedirectionUrl"), theme=body.get("theme", "NO_PREFERENCE"),
            locale=details.get("userLocale", "id_ID"), scenario=header_scenario,
        )  # fmt: skip
        with self.records.db.transaction() as connection:
            if self.records.session(claims.client_id, partner_session_id, connection) is not None:
                raise errors.DUPLICATE_PARTNER_SESSION
            self.records.insert_session(connection, session)
        user_claims = TokenClaims("user", claims.client_id, 0, onboarding_partner, user_id, user_id_type,
                                  partner_session_id)  # fmt: skip
        issued = self.tokens.issue(user_claims, self.settings.user_token_seconds)
        handle = {"launchUrl": self.settings.base_url + LAUNCH_PATH + issued.token} if web else {"token": issued.token}
        return handle | {"expirySeconds": str(issued.expiry_seconds), "expiresAt": str(issued.expires_at)}

    # E4 -----------------------------------------------------------------------------------------
    def presigned_urls(self, caller: Caller, submission_type: str, header_scenario: str | None) -> dict[str, Any]:
        """E4: a KTP_FRONT upload slot for the session's next attempt (an unconfirmed attempt is reused)."""
        if submission_type != SUPPORTED_FLOW:
            raise errors.INVALID_SUBMISSION_TYPE
        self._check_session_binding(caller)
        claims = caller.claims
        with self.records.db.transaction() as connection:
            session = self.records.session(claims.client_id, caller.partner_session_id, connection)
            if session is None:
                session = PartnerSession(
                    client_id=claims.client_id, partner_session_id=caller.partner_session_id, source="API",
                    flow=SUPPORTED_FLOW, created_at=self.clock.now(), onboarding_partner=claims.onboarding_partner,
                    user_id=claims.user_id, user_id_type=claims.user_id_type,
                )  # fmt: skip
                self.records.insert_session(connection, session)
            elif (session.user_id, session.onboarding_partner) != (claims.user_id, claims.onboarding_partner):
                raise errors.FORBIDDEN
            latest = self.records.latest_submission(claims.client_id, caller.partner_session_id, connection)
            if latest is not None and latest.status == "INITIATED":
                submission = latest
            else:
                if session.closed or session.attempts_used >= self.settings.max_attempts:
                    raise errors.QUOTA_EXCEEDED
                if latest is not None and latest.status == "IN_PROGRESS":
                    raise errors.STATE_CONFLICT
                submission = Submission(
                    submission_id=str(uuid.uuid4()), client_id=claims.client_id,
                    partner_session_id=caller.partner_session_id, sdk_session_id=caller.sdk_session_id,
                    attempt=session.attempts_used + 1, status="INITIATED", document_reference=uuid.uuid4().hex,
                    document_status="PENDING", created_at=self.clock.now(), scenario=header_scenario,
                )  # fmt: skip
                self.records.insert_submission(connection, submission)
                self.records.update_session(connection, claims.client_id, caller.partner_session_id,
                                            attempts_used=submission.attempt)  # fmt: skip
        expires_in = self.settings.presigned_url_seconds
        return {
            "submissionId": submission.submission_id,
            "status": "INITIATED",
            "documents": {DOCUMENT_KEY: {
                "documentUrl": self.presigner.url("PUT", submission.document_reference, expires_in),
                "documentReference": submission.document_reference,
                "expiryInSeconds": str(expires_in),
            }},
            "uiMessages": ui_message("INITIATED", session.locale),
        }  # fmt: skip

    # E5 -----------------------------------------------------------------------------------------
    def upload(self, document_reference: str, query: Mapping[str, str], content_type: str, data: bytes) -> None:
        """E5: the storage stand-in takes the image bytes for an unconfirmed attempt."""
        self.presigner.check("PUT", document_reference, query)
        submission = self.records.submission_by_reference(document_reference)
        if submission is None:
            raise StorageError(404, "NoSuchKey", "The specified key does not exist.")
        if submission.status != "INITIATED":
            raise StorageError(403, "AccessDenied", "The submission was already confirmed; request a new upload URL.")
        media_type = content_type.split(";", maxsplit=1)[0].strip().lower()
        if media_type not in EXTENSIONS:
            raise StorageError(400, "InvalidArgument", "Content-Type must be image/jpeg or image/png.")
        if not data:
            raise StorageError(400, "InvalidArgument", "The request body is empty.")
        if len(data) > self.settings.upload_max_bytes:
            raise entity_too_large(self.settings.upload_max_bytes)
        self.images.put(document_reference, data, media_type)
        with self.records.db.transaction() as connection:
            self.records.update_submission(
                connection, submission.submission_id, document_status="UPLOADED", image_content_type=media_type,
                image_bytes=len(data), uploaded_at=self.clock.now(),
            )  # fmt: skip

    def download(self, document_reference: str, query: Mapping[str, str]) -> tuple[bytes, str]:
        """What `imageUrls.KTP` serves."""
        self.presigner.check("GET", document_reference, query)
        stored = self.images.get(document_reference)
        if stored is None:
            raise StorageError(404, "NoSuchKey", "The specified key does not exist.")
        return stored

    def image_url(self, submission: Submission) -> str | None:
        """A signed link to the attempt's image, as `imageUrls.KTP` carries it."""
        if submission.image_content_type is None:
            return None
        return self.presigner.url("GET", submission.document_reference, self.settings.image_url_seconds)

    # E6 -----------------------------------------------------------------------------------------
    def confirm(self, caller: Caller, submission_id: str, metadata: Any, header_scenario: str | None
                ) -> dict[str, Any]:  # fmt: skip
        """E6: the upload is checked to be an image and the attempt is queued for processing."""
        submission = self._own_submission(caller, submission_id, errors.CONFIRM_SUBMISSION_NOT_FOUND)
        if submission.status != "INITIATED":
            raise errors.STATE_CONFLICT
        stored = self.images.get(submission.document_reference)
        if stored is None:
            raise errors.INVALID_UPLOAD_ARTIFACT
        try:
            check_image(stored[0])
        except ImageDecodeError as error:
            raise errors.INVALID_UPLOAD_ARTIFACT from error
        now = self.clock.now()
        with self.records.db.transaction() as connection:
            current = self.records.submission(submission_id, connection)
            if current is None or current.status != "INITIATED":
                raise errors.STATE_CONFLICT
            changes: dict[str, Any] = {"status": "IN_PROGRESS", "confirmed_at": now, "metadata": metadata}
            if header_scenario:
                changes["scenario"] = header_scenario
            self.records.update_submission(connection, submission_id, **changes)
            self.records.enqueue(connection, submission_id, now)
        session = self.records.session(submission.client_id, submission.partner_session_id)
        return {"submissionId": submission_id, "uiMessages": ui_message("IN_PROGRESS", session and session.locale)}

    # E7 -----------------------------------------------------------------------------------------
    def status(self, caller: Caller, submission_id: str) -> dict[str, Any]:
        """E7: the attempt's state and what the SDK must do next."""
        submission = self._own_submission(caller, submission_id, errors.STATUS_SUBMISSION_NOT_FOUND)
        session = self.records.session(submission.client_id, submission.partner_session_id)
        return status_view(submission, session, self.settings.max_attempts, self.settings.poll_after_ms)

    # E8 -----------------------------------------------------------------------------------------
    def details(self, claims: TokenClaims, submission_id: str | None, partner_session_id: str | None,
                user: tuple[str, str, str] | None = None) -> dict[str, Any]:  # fmt: skip
        """E8: SubmissionData by submission id or partner session id; `user` = (onboarding partner, id, id type)."""
        if not submission_id and not partner_session_id:
            raise errors.DETAILS_LOOKUP_MISSING
        if user is not None:
            partner = self.settings.partner(claims.client_id)
            if partner is None or user[0] not in partner.onboarding_partners:
                raise errors.DETAILS_FORBIDDEN
        if submission_id:
            submission = self.records.submission(submission_id)
            if submission is not None and partner_session_id and submission.partner_session_id != partner_session_id:
                raise errors.DETAILS_NOT_OF_USER
        else:
            submission = self.records.latest_submission(claims.client_id, partner_session_id or "")
        if submission is None or submission.client_id != claims.client_id:
            raise errors.DETAILS_NOT_FOUND
        session = self.records.session(submission.client_id, submission.partner_session_id)
        if user is not None and session is not None and (session.user_id, session.user_id_type) != user[1:]:
            raise errors.DETAILS_NOT_OF_USER
        return submission_data(submission, session, self.image_url(submission))

    # shared -------------------------------------------------------------------------------------
    def _check_session_binding(self, caller: Caller) -> None:
        """A user token from initiate-flow serves its own partner session only."""
        bound = caller.claims.partner_session_id
        if bound is not None and bound != caller.partner_session_id:
            raise errors.FORBIDDEN

    def _own_submission(self, caller: Caller, submission_id: str, not_found: errors.GatewayError) -> Submission:
        self._check_session_binding(caller)
        submission = self.records.submission(submission_id)
        if submission is None or submission.client_id != caller.claims.client_id:
            raise not_found
        if submission.partner_session_id != caller.partner_session_id:
            raise errors.FORBIDDEN
        return submission

    def identity(self, submission: Submission, operation: str | None = None) -> RequestIdentity:
        """What control-plane overrides match a submission on."""
        session = self.records.session(submission.client_id, submission.partner_session_id)
        return RequestIdentity(submission.client_id, session.user_id if session else None,
                               submission.partner_session_id, operation)  # fmt: skip


def _snake_token(issued: IssuedToken) -> dict[str, str]:
    """The token APIs' casing: snake_case strings."""
    return {"token": issued.token, "expiry_seconds": str(issued.expiry_seconds), "expires_at": str(issued.expires_at)}

