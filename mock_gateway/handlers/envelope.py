"""The gateway's response shapes: the JSON envelope for the API, S3-style XML for the storage stand-in."""

from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import escape

from connexion.lifecycle import ConnexionResponse

from mock_gateway.domain.errors import GatewayError

JSON = "application/json"


def ok(data: Any, status: int = 200) -> tuple[dict[str, Any], int]:
    """`{"success": true, "data": …}`."""
    return {"success": True, "data": data}, status


def failure_body(error: GatewayError) -> dict[str, Any]:
    """`{"success": false, "errors": [{code, cause, entity?}], "data": null}`."""
    return {"success": False, "errors": [error.error_item()], "data": None}


def failure_response(error: GatewayError) -> ConnexionResponse:
    """The envelope for an error handler (outside any Flask view)."""
    return ConnexionResponse(status_code=error.status, content_type=JSON, body=json.dumps(failure_body(error)))


def storage_error_xml(code: str, message: str) -> str:
    """What OSS/S3 answers a failed presigned request with."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
    )


def storage_error_response(status: int, code: str, message: str) -> ConnexionResponse:
    """The XML error for an error handler."""
    return ConnexionResponse(status_code=status, content_type="application/xml", body=storage_error_xml(code, message))
