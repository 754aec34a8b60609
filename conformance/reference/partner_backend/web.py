"""The reference partner's sign-up page: it verifies the user's KTP through the hosted flow and fills the form.

The page asks this backend for the launch URL (the partner token and pass-key never reach the browser), sends the
user through the hosted flow by redirect or in an iframe, and then reads the result from this backend: the
redirect or postMessage only says that the flow ended, and anyone can forge it.
"""

from __future__ import annotations

import uuid
from typing import Any

import flask

from conformance.reference.partner_backend.config import PartnerBackendConfig
from conformance.reference.partner_backend.defects import WEB_DEFECTS
from conformance.reference.partner_backend.onekyc import OneKycClient

MODES = ("redirect", "iframe")
DEFAULT_WAIT_SECONDS = 30.0  # how long the page waits for its backend to have the result after a successful return
WAIT_LIMITS = (1.0, 300.0)
LEAK_DEFECT = "browser-gets-partner-token"
# the form's fields: ktpData key (the input's id) -> its label; the result fills them unchanged
FIELDS = {
    "nik": "NIK",
    "name": "Name (Nama)",
    "region": "Place of birth (Tempat lahir)",
    "dateOfBirth": "Date of birth (Tgl lahir, DD-MM-YYYY)",
    "gender": "Sex (Jenis kelamin)",
    "bloodType": "Blood type (Gol. darah)",
    "address": "Address (Alamat)",
    "rt": "RT",
    "rw": "RW",
    "town": "Kel/Desa",
    "district": "Kecamatan",
    "city": "Kabupaten/Kota",
    "province": "Province (Provinsi)",
    "religion": "Religion (Agama)",
    "maritalStatus": "Marital status (Status perkawinan)",
    "occupation": "Occupation (Pekerjaan)",
    "citizenship": "Citizenship (Kewarganegaraan)",
    "validUntil": "Valid until (Berlaku hingga)",
}
SEXES = {"male": "Laki-laki", "female": "Perempuan"}  # ktpData's gender values -> what the card prints


def signup_pages(config: PartnerBackendConfig, gateway: OneKycClient) -> flask.Blueprint:
    """`/signup` (and its return URL) with its assets; the debug token endpoint exists only with its defect on."""
    pages = flask.Blueprint("signup", __name__, template_folder="templates", static_folder="static",
                            static_url_path="/signup/static")  # fmt: skip
    defects = sorted(config.defects & set(WEB_DEFECTS))

    def signup() -> str:
        """The form; on the return URL the same page reads `status` and `partner_session_id` from its query."""
        return flask.render_template("signup.html", fields=FIELDS, sexes=SEXES,
                                     settings=_settings(flask.request.args, defects))  # fmt: skip

    pages.add_url_rule("/signup", "signup", signup)
    pages.add_url_rule("/signup/return", "return", signup)

    if LEAK_DEFECT in config.defects:

        @pages.get("/debug/partner-token")
        def debug_partner_token() -> flask.Response:
            """The defect: a "debug" endpoint that hands the browser the partner token and the gateway's URL."""
            return flask.jsonify(partnerToken=gateway.partner_token(), gatewayUrl=config.gateway_url)

    return pages


def _settings(args: Any, defects: list[str]) -> dict[str, Any]:
    """What the page script needs: its mode, how long to wait for the result, the user, and its defect switches."""
    mode = args.get("mode") if args.get("mode") in MODES else MODES[0]
    try:
        wait = min(max(float(args.get("wait", DEFAULT_WAIT_SECONDS)), WAIT_LIMITS[0]), WAIT_LIMITS[1])
    except ValueError:
        wait = DEFAULT_WAIT_SECONDS
    return {
        "mode": mode,
        "waitSeconds": wait,
        "userId": f"web-{uuid.uuid4().hex[:12]}",  # a real app knows its signed-in user; this demo makes one up
        "returnUrl": flask.url_for("signup.return", _external=True, mode=mode, wait=f"{wait:g}"),
        "defects": defects,
    }
