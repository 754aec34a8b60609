"""Connexion validators that say WHICH parameter or body field failed, so the real cause can be answered."""

from __future__ import annotations

from typing import Any

from connexion.exceptions import BadRequestProblem
from connexion.validators import JSONRequestBodyValidator, ParameterValidator
from jsonschema import ValidationError


class ParameterProblem(BadRequestProblem):
    """A header, query or path parameter is missing or does not fit its schema."""

    def __init__(self, location: str, name: str, detail: str) -> None:
        super().__init__(detail=detail)
        self.location = location
        self.name = name


class BodyProblem(BadRequestProblem):
    """The JSON body does not fit its schema: the top-level field at fault, if any, and whether it was sent as ""."""

    def __init__(self, field: str | None, detail: str, empty: bool = False) -> None:
        super().__init__(detail=detail)
        self.field = field
        self.empty = empty


class NamingParameterValidator(ParameterValidator):
    """Connexion's checks in connexion's order, raising ParameterProblem with the parameter's name."""

    def validate_request(self, request: Any) -> None:
        checks = (
            ("query", self.validate_query_parameter),
            ("path", self.validate_path_parameter),
            ("header", self.validate_header_parameter),
        )
        for location, check in checks:
            for param in self.parameters.get(location, []):
                error = check(param, request)
                if error:
                    raise ParameterProblem(location, param["name"], error)


class NamingJSONBodyValidator(JSONRequestBodyValidator):
    """Connexion's JSON body check, raising BodyProblem with the top-level field at fault."""

    def _validate(self, body: Any) -> dict | None:
        if body is None:
            raise BodyProblem(None, "Request body must not be empty")
        try:
            return self._validator.validate(body)
        except ValidationError as error:
            field = _field(error, body)
            empty = isinstance(body, dict) and field is not None and body.get(field) == ""
            raise BodyProblem(field, error.message, empty) from None


def _field(error: ValidationError, body: Any) -> str | None:
    if error.path:
        return str(error.path[0])
    if error.validator == "required" and isinstance(body, dict):
        return next((name for name in error.validator_value if name not in body), None)
    if error.validator == "additionalProperties" and isinstance(body, dict):
        allowed = set(error.schema.get("properties", {}))
        return next((name for name in body if name not in allowed), None)
    return None
