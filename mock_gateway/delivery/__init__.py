"""Outbound callbacks to partners: Standard Webhooks signing, retries, leases, deliberate misbehaviour."""

from mock_gateway.delivery.dispatcher import CallbackDispatcher, CallbackMisbehaviour, Delivery
from mock_gateway.delivery.signing import generate_secret, signature_headers

__all__ = ["CallbackDispatcher", "CallbackMisbehaviour", "Delivery", "generate_secret", "signature_headers"]
