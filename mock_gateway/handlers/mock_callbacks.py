"""Control plane: outbound callback deliveries and redelivery, within the caller's own."""

from __future__ import annotations

from mock_gateway.handlers.context import sandbox
from mock_gateway.handlers.control import not_found, owner, visible
from mock_gateway.handlers.envelope import ok


def list_callbacks(submissionId: str | None = None, partnerSessionId: str | None = None  # noqa: N803
                   ) -> tuple[list, int]:  # fmt: skip
    """GET /__mock/callbacks: deliveries, oldest first."""
    deliveries = sandbox().dispatcher.deliveries(
        partner_id=owner(), submission_id=submissionId, partner_session_id=partnerSessionId
    )
    return ok([delivery.to_json() for delivery in deliveries])


def redeliver_callback(deliveryId: str) -> tuple[dict, int]:  # noqa: N803 (the path name)
    """POST /__mock/callbacks/{deliveryId}/redeliver: due now, attempt counter carried on."""
    dispatcher = sandbox().dispatcher
    delivery = dispatcher.get(deliveryId)
    if delivery is None or not visible(delivery.partner_id, owner()):
        raise not_found("callback delivery", deliveryId)
    return ok(dispatcher.redeliver(deliveryId).to_json(), 202)
