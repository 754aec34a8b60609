"""`python -m conformance.reference.partner_backend --port P --gateway URL --callback-token T`: serve on 127.0.0.1."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from werkzeug.serving import make_server

from conformance.reference.partner_backend.app import create_app, shutdown
from conformance.reference.partner_backend.config import PartnerBackendConfig
from conformance.reference.partner_backend.defects import DEFECTS, WEB_DEFECTS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m conformance.reference.partner_backend",
                                     description="The reference KTP Scan partner backend.")  # fmt: skip
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--gateway", required=True, help="the gateway's URL (token and API paths)")
    parser.add_argument("--callback-token", required=True, help="the Bearer token the gateway's callbacks carry")
    parser.add_argument("--signing-secret", help="Standard Webhooks whsec_… secret; callbacks must then be signed")
    parser.add_argument("--client-id", default="demo-client")
    parser.add_argument("--pass-key", default="demo-pass-key")
    parser.add_argument("--onboarding-partner", default="DEMO-SDK-KTP_SCAN")
    parser.add_argument("--web-onboarding-partner", default="DEMO-WEB_SDK-KTP_SCAN")
    parser.add_argument("--db", type=Path, default=Path("partner-backend.sqlite3"), help="the SQLite results file")
    parser.add_argument("--fallback-after", type=float, default=5.0, help="seconds before a pending flow is polled")
    parser.add_argument("--defect", action="append", default=[], metavar="NAME",
                        help=f"break one rule on purpose (repeatable): {', '.join(DEFECTS | WEB_DEFECTS)}")  # fmt: skip
    parser.add_argument("--defects", default="", metavar="LIST",
                        help="the same, comma-separated (empty: none), for templated command lines")  # fmt: skip
    return parser


def _defects(args: argparse.Namespace) -> frozenset[str]:
    return frozenset(args.defect) | {name.strip() for name in args.defects.split(",") if name.strip()}


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM or Ctrl+C, then stop the polling fallback and exit 0."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = PartnerBackendConfig(
            gateway_url=args.gateway, callback_token=args.callback_token, client_id=args.client_id,
            pass_key=args.pass_key, onboarding_partner=args.onboarding_partner,
            web_onboarding_partner=args.web_onboarding_partner, signing_secret=args.signing_secret, db_path=args.db,
            fallback_after_seconds=args.fallback_after, defects=_defects(args),
        )  # fmt: skip
        app = create_app(config)
    except ValueError as problem:  # an unknown defect, or a signing secret that is not base64
        parser.error(str(problem))
    server = make_server("127.0.0.1", args.port, app, threaded=True)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    defects = ", ".join(sorted(config.defects)) or "none"
    print(f"reference partner backend on http://127.0.0.1:{args.port} (gateway {args.gateway}; defects: {defects})",
          flush=True)  # fmt: skip
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        shutdown(app)
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
