"""E5: the stand-in for the object storage behind presigned URLs."""

from __future__ import annotations

from connexion import request
from connexion.lifecycle import ConnexionResponse

from mock_gateway.handlers.context import sandbox


def upload_document(documentReference: str, body: bytes) -> ConnexionResponse:  # noqa: N803 (the path name)
    """PUT /mock-storage/{documentReference}: OSS answers 200 with no body."""
    sandbox().gateway.upload(documentReference, request.query_params, request.headers.get("content-type", ""), body)
    return ConnexionResponse(status_code=200, body=b"")


def download_document(documentReference: str) -> ConnexionResponse:  # noqa: N803 (the path name)
    """GET /mock-storage/{documentReference}: what `imageUrls.KTP` links to."""
    data, content_type = sandbox().gateway.download(documentReference, request.query_params)
    return ConnexionResponse(status_code=200, body=data, content_type=content_type)
