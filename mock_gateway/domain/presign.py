"""S3-style presigned URLs for the storage stand-in: the SDK uploads as it would to Alibaba OSS."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

from mock_gateway.clock import Clock

STORAGE_PREFIX = "/mock-storage/"
REGION = "ap-southeast-5"
AMZ_DATE = "%Y%m%dT%H%M%SZ"
SIGNATURE_MISMATCH = "The request signature we calculated does not match the signature you provided."
QUERY_KEYS = (
    "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature",
)  # fmt: skip


class StorageError(Exception):
    """A storage stand-in failure (bad signature, missing object, …), answered S3/OSS style in XML."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def entity_too_large(limit: int) -> StorageError:
    """What storage answers an upload over the size limit, whether the edge or the handler notices first."""
    message = f"Your proposed upload exceeds the maximum allowed size of {limit} bytes."
    return StorageError(413, "EntityTooLarge", message)


@dataclass(frozen=True)
class Presigner:
    """Signs and checks storage URLs with the gateway's key; the signature covers method, object and expiry."""

    secret: bytes
    base_url: str
    clock: Clock

    def url(self, method: str, document_reference: str, expires_in: int) -> str:
        """A URL that allows `method` on the object for `expires_in` seconds from now."""
        amz_date = datetime.fromtimestamp(self.clock.now(), UTC).strftime(AMZ_DATE)
        query = {
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Credential": f"ktp-sandbox/{amz_date[:8]}/{REGION}/oss/aws4_request",
            "X-Amz-Date": amz_date,
            "X-Amz-Expires": str(expires_in),
            "X-Amz-SignedHeaders": "host",
        }
        query["X-Amz-Signature"] = self._signature(method, document_reference, query)
        return f"{self.base_url}{STORAGE_PREFIX}{quote(document_reference)}?{urlencode(query)}"

    def check(self, method: str, document_reference: str, query: Mapping[str, str]) -> None:
        """Raise a 403 StorageError unless `query` is our unexpired signature for `method` on the object."""
        missing = [key for key in QUERY_KEYS if not query.get(key)]
        if missing:
            raise StorageError(403, "AccessDenied", f"Missing presigned query parameter(s): {', '.join(missing)}")
        expected = self._signature(method, document_reference, query)
        if not hmac.compare_digest(expected.encode(), query["X-Amz-Signature"].encode()):  # str raises on non-ASCII
            raise StorageError(403, "SignatureDoesNotMatch", SIGNATURE_MISMATCH)
        try:
            signed_at = datetime.strptime(query["X-Amz-Date"], AMZ_DATE).replace(tzinfo=UTC).timestamp()
            expires_in = int(query["X-Amz-Expires"])
        except ValueError:
            raise StorageError(403, "AccessDenied", "X-Amz-Date or X-Amz-Expires is malformed") from None
        if self.clock.now() > signed_at + expires_in:
            raise StorageError(403, "AccessDenied", "Request has expired")

    def _signature(self, method: str, document_reference: str, query: Mapping[str, str]) -> str:
        signed = "\n".join([method.upper(), STORAGE_PREFIX + document_reference, *(query[k] for k in QUERY_KEYS[:-1])])
        return hmac.new(self.secret, signed.encode(), hashlib.sha256).hexdigest()
