"""create_app(settings): a connexion FlaskApp serving both specs, wrapped by the edge, over one Sandbox."""

from __future__ import annotations

import connexion
from connexion.datastructures import MediaTypeDict
from connexion.options import SwaggerUIOptions
from connexion.resolver import RelativeResolver
from connexion.validators import VALIDATOR_MAP

from mock_gateway.clock import Clock
from mock_gateway.edge import Edge
from mock_gateway.handlers import problems
from mock_gateway.handlers.validation import NamingJSONBodyValidator, NamingParameterValidator
from mock_gateway.routes import CONTROL_PREFIX, CONTROL_SPEC, GATEWAY_SPEC
from mock_gateway.sandbox import Sandbox
from mock_gateway.settings import Settings
from mock_gateway.web.dashboard import register_dashboard
from mock_gateway.web.flow import flow_blueprint

VALIDATORS = {
    **VALIDATOR_MAP,
    "parameter": NamingParameterValidator,
    "body": MediaTypeDict({**VALIDATOR_MAP["body"], "*/*json": NamingJSONBodyValidator}),
}


class GatewayApp:
    """The ASGI app uvicorn serves: the edge around connexion, plus the sandbox it runs on."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.connexion = connexion.FlaskApp(__name__, specification_dir=str(GATEWAY_SPEC.parent))
        resolver = RelativeResolver("mock_gateway.handlers")
        # The control plane's Swagger UI moves to /__mock/docs: /__mock/ui is the dashboard.
        for spec, base_path, docs in ((GATEWAY_SPEC, "", "/ui"), (CONTROL_SPEC, CONTROL_PREFIX, "/docs")):
            self.connexion.add_api(
                spec, base_path=base_path, resolver=resolver, validator_map=VALIDATORS,
                swagger_ui_options=SwaggerUIOptions(swagger_ui_path=docs),
            )  # fmt: skip
        problems.register(self.connexion)
        self.connexion.app.register_blueprint(flow_blueprint(sandbox))
        register_dashboard(self.connexion, sandbox)
        self.asgi = Edge(self.connexion, sandbox, self.connexion.app.url_map)

    async def __call__(self, scope, receive, send) -> None:
        await self.asgi(scope, receive, send)

    def test_client(self):
        """An in-process client through the edge (starlette TestClient)."""
        from starlette.testclient import TestClient

        return TestClient(self)


def create_app(settings: Settings | None = None, *, clock: Clock | None = None, start_workers: bool = True
               ) -> GatewayApp:  # fmt: skip
    """Build the sandbox over `settings.data_dir` and, unless told not to, start processing and callbacks."""
    sandbox = Sandbox.build(settings or Settings(), clock)
    if start_workers:
        sandbox.start()
    return GatewayApp(sandbox)
