"""Mock of the OneKYC / IAB gateway's KTP Scan contract (served from `openapi/`)."""
