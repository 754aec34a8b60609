"""Which operation a request is for, read off the two specs, so the edge can journal and fault it before routing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

OPENAPI_DIR = Path(__file__).resolve().parent.parent / "openapi"
GATEWAY_SPEC = OPENAPI_DIR / "gateway.yaml"
CONTROL_SPEC = OPENAPI_DIR / "mock.yaml"
CONTROL_PREFIX = "/__mock"
METHODS = ("get", "put", "post", "delete", "patch")
STORAGE_OPERATIONS = ("storage.upload_document", "storage.download_document")  # the stand-in answers S3-style XML


@dataclass(frozen=True)
class Route:
    """One operation of a spec."""

    method: str
    pattern: re.Pattern[str]
    operation_id: str
    secured_by_token: bool  # takes x-onekyc-token
    control_plane: bool


@dataclass(frozen=True)
class RouteMatch:
    """A request's operation and its path parameters."""

    route: Route
    path_params: dict[str, str]


class Routes:
    """Both specs' operations, matched by method and path."""

    def __init__(self, gateway_spec: dict[str, Any], control_spec: dict[str, Any]) -> None:
        self._routes = _routes(gateway_spec, "", False) + _routes(control_spec, CONTROL_PREFIX, True)

    @classmethod
    def from_files(cls) -> Routes:
        """Read the shipped specs."""
        return cls(load_spec(GATEWAY_SPEC), load_spec(CONTROL_SPEC))

    def match(self, method: str, path: str) -> RouteMatch | None:
        """The operation at `method path`, if the specs have one."""
        for route in self._routes:
            if route.method == method.upper() and (found := route.pattern.match(path)):
                return RouteMatch(route, found.groupdict())
        return None


def load_spec(path: Path) -> dict[str, Any]:
    """A YAML spec as a dict."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _routes(spec: dict[str, Any], prefix: str, control_plane: bool) -> list[Route]:
    routes = []
    global_security = spec.get("security", [])
    for template, item in spec.get("paths", {}).items():
        pattern = re.compile("^" + prefix + re.sub(r"\{([^}]+)\}", r"(?P<\1>[^/]+)", template) + "$")
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            security = operation.get("security", global_security)
            secured = any(scheme in ("PartnerToken", "UserToken") for option in security for scheme in option)
            routes.append(Route(method.upper(), pattern, operation["operationId"], secured, control_plane))
    return routes
