"""The OpenAPI documents are the contract the mock serves and the harness checks: keep them valid and exact."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import connexion
import pytest
import yaml
from connexion.resolver import Resolver
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from openapi_spec_validator import validate
from referencing import Registry
from referencing.jsonschema import DRAFT4

from synthetic_ktp.model import API_KEYS
from synthetic_ktp.scenarios import SCENARIO_NAMES

OPENAPI_DIR = Path(__file__).resolve().parent.parent / "openapi"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
RETRY_REASONS = ["GLARE_DETECTED", "BLUR_DETECTED", "OBSTRUCTION_DETECTED", "KTP_NOT_DETECTED", "LOW_RESOLUTION"]


def _load(name: str) -> dict[str, Any]:
    return yaml.safe_load((OPENAPI_DIR / name).read_text())


SPECS: dict[str, dict[str, Any]] = {"gateway": _load("gateway.yaml"), "mock": _load("mock.yaml")}
GATEWAY = SPECS["gateway"]
MOCK = SPECS["mock"]

# operationId -> (method, path, tag), exactly as the handlers and the harness expect them.
GATEWAY_OPERATIONS = {
    "tokens.partner_token": ("GET", "/v1/coe/partner/authentication", "tokens"),
    "tokens.user_token": ("GET", "/v2/coe/authentication", "tokens"),
    "flows.initiate_flow": ("POST", "/coe-partner/v1/initiate-flow", "flows"),
    "submissions.presigned_urls": ("GET", "/coe/v1/submissions/urls", "submissions"),
    "storage.upload_document": ("PUT", "/mock-storage/{documentReference}", "storage"),
    "storage.download_document": ("GET", "/mock-storage/{documentReference}", "storage"),
    "submissions.confirm_submission": ("PUT", "/coe/v1/submissions/urls", "submissions"),
    "submissions.submission_status": ("GET", "/coe/v1/submissions/{submissionId}/status", "submissions"),
    "details.submission_details": ("GET", "/coe/v1/submissions", "details"),
    "details.partner_submission_details": ("GET", "/coe-partner/v1/submissions", "details"),
}
MOCK_OPERATIONS = {
    "mock_admin.health": ("GET", "/health", "health"),
    "mock_partners.list_partners": ("GET", "/partners", "partners"),
    "mock_scenarios.create_scenario": ("POST", "/scenarios", "scenarios"),
    "mock_scenarios.list_scenarios": ("GET", "/scenarios", "scenarios"),
    "mock_scenarios.clear_scenarios": ("DELETE", "/scenarios", "scenarios"),
    "mock_scenarios.delete_scenario": ("DELETE", "/scenarios/{scenarioId}", "scenarios"),
    "mock_journal.query_journal": ("GET", "/journal", "journal"),
    "mock_journal.count_journal": ("GET", "/journal/count", "journal"),
    "mock_journal.verify_journal": ("POST", "/journal/verify", "journal"),
    "mock_journal.export_journal": ("GET", "/journal/export", "journal"),
    "mock_journal.clear_journal": ("DELETE", "/journal", "journal"),
    "mock_submissions.list_submissions": ("GET", "/submissions", "submissions"),
    "mock_submissions.get_submission": ("GET", "/submissions/{submissionId}", "submissions"),
    "mock_submissions.get_submission_image": ("GET", "/submissions/{submissionId}/image", "submissions"),
    "mock_callbacks.list_callbacks": ("GET", "/callbacks", "callbacks"),
    "mock_callbacks.redeliver_callback": ("POST", "/callbacks/{deliveryId}/redeliver", "callbacks"),
    "mock_admin.reset": ("POST", "/reset", "reset"),
}
GATEWAY_STATUSES = {
    "tokens.partner_token": {"200", "400", "401", "500"},
    "tokens.user_token": {"200", "400", "401", "403", "500"},
    "flows.initiate_flow": {"200", "400", "401", "403", "500"},
    "submissions.presigned_urls": {"200", "400", "401", "403", "409", "429", "500"},
    "storage.upload_document": {"200", "400", "403", "404", "413", "500"},
    "storage.download_document": {"200", "400", "403", "404", "500"},
    "submissions.confirm_submission": {"200", "400", "401", "403", "404", "409", "422", "429", "500", "503"},
    "submissions.submission_status": {"200", "400", "401", "403", "404", "500"},
    "details.submission_details": {"200", "400", "401", "403", "500"},
    "details.partner_submission_details": {"200", "400", "401", "403", "500"},
}
USER_HEADERS = {"x-onboarding-partner": True, "x-partner-user-id": True, "x-partner-user-id-type": True}
SDK_HEADERS = {"x-sdk-session-id": True, "x-partner-session-id": True}
LOOKUP_HEADERS = {"x-partner-session-id": False, "x-submission-id": False}
# operationId -> {header name: required}
GATEWAY_HEADERS = {
    "tokens.partner_token": {"client-id": True, "pass-key": True},
    "tokens.user_token": {"client-id": True, "pass-key": True, **USER_HEADERS},
    "flows.initiate_flow": {**USER_HEADERS, "x-partner-session-id": True, "x-mock-scenario": False},
    "submissions.presigned_urls": {**SDK_HEADERS, "x-mock-scenario": False},
    "storage.upload_document": {},
    "storage.download_document": {},
    "submissions.confirm_submission": {**SDK_HEADERS, "x-mock-scenario": False},
    "submissions.submission_status": SDK_HEADERS,
    "details.submission_details": LOOKUP_HEADERS,
    "details.partner_submission_details": {**USER_HEADERS, **LOOKUP_HEADERS},
}
PARTNER_TOKEN = [{"PartnerToken": []}]
USER_TOKEN = [{"UserToken": []}]
GATEWAY_SECURITY = {
    "tokens.partner_token": [],
    "tokens.user_token": [],
    "flows.initiate_flow": PARTNER_TOKEN,
    "submissions.presigned_urls": USER_TOKEN,
    "storage.upload_document": [],
    "storage.download_document": [],
    "submissions.confirm_submission": USER_TOKEN,
    "submissions.submission_status": USER_TOKEN,
    "details.submission_details": PARTNER_TOKEN,
    "details.partner_submission_details": PARTNER_TOKEN,
}
CONTROL_PLANE_SECURITY = [{"AdminKey": []}, {"PartnerClientId": [], "PartnerPassKey": []}]
SECURITY_FUNCTIONS = "mock_gateway.handlers.security"


# ---- helpers -------------------------------------------------------------------------------------------------


def operations(spec: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (METHOD, path, operation object)."""
    found = {}
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                found[item[method]["operationId"]] = (method.upper(), path, item[method])
    return found


def resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow local `$ref`s until a real object."""
    while "$ref" in node:
        node = pointer_get(spec, node["$ref"].removeprefix("#"))
    return node


def pointer_get(spec: dict[str, Any], pointer: str) -> Any:
    """The value at a JSON pointer such as `/components/schemas/Token`."""
    node: Any = spec
    for escaped in pointer.split("/")[1:]:
        part = escaped.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def schema(spec: dict[str, Any], name: str) -> dict[str, Any]:
    return spec["components"]["schemas"][name]


def parameters(spec: dict[str, Any], operation_id: str) -> list[dict[str, Any]]:
    """Path-level and operation-level parameters, resolved."""
    _, path, operation = operations(spec)[operation_id]
    declared = spec["paths"][path].get("parameters", []) + operation.get("parameters", [])
    return [resolve(spec, parameter) for parameter in declared]


def responses(spec: dict[str, Any], operation_id: str) -> dict[str, dict[str, Any]]:
    return operations(spec)[operation_id][2]["responses"]


def effective_security(spec: dict[str, Any], operation: dict[str, Any]) -> list[dict[str, list[str]]]:
    return operation.get("security", spec.get("security", []))


def validator_for(spec_name: str, schema_pointer: str) -> OAS30Validator:
    """An OpenAPI 3.0 validator for the schema at `schema_pointer`, resolving the document's own `$ref`s."""
    base = f"urn:openapi:{spec_name}"
    registry = Registry().with_resource(base, DRAFT4.create_resource(SPECS[spec_name]))
    return OAS30Validator({"$ref": f"{base}#{schema_pointer}"}, registry=registry, format_checker=oas30_format_checker)


def errors_for(spec_name: str, schema_pointer: str, value: Any) -> list[str]:
    return [error.message for error in validator_for(spec_name, schema_pointer).iter_errors(value)]


def _example_values(spec: dict[str, Any], node: dict[str, Any], pointer: str) -> Iterator[tuple[str, Any]]:
    if "example" in node:
        yield f"{pointer}/example", node["example"]
    for name, example in node.get("examples", {}).items():
        yield f"{pointer}/examples/{escape(name)}", resolve(spec, example)["value"]


def examples(spec: dict[str, Any], node: Any, pointer: str = "") -> Iterator[tuple[str, str, Any]]:
    """(example pointer, schema pointer, value) for every media type, parameter, header and schema example."""
    if isinstance(node, dict):
        if "example" in node or "examples" in node:
            schema_pointer = f"{pointer}/schema" if "schema" in node else pointer
            for example_pointer, value in _example_values(spec, node, pointer):
                yield example_pointer, schema_pointer, value
        for key, child in node.items():
            if key not in ("example", "examples"):
                yield from examples(spec, child, f"{pointer}/{escape(str(key))}")
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from examples(spec, child, f"{pointer}/{index}")


ALL_EXAMPLES = [(name, *found) for name, spec in SPECS.items() for found in examples(spec, spec)]


def json_media(spec: dict[str, Any], response_or_body: dict[str, Any]) -> dict[str, Any] | None:
    return resolve(spec, response_or_body).get("content", {}).get("application/json")


def first_example(media: dict[str, Any]) -> Any:
    if "example" in media:
        return media["example"]
    return next(iter(media["examples"].values()))["value"]


# ---- the documents as a whole --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SPECS)
def test_document_is_valid_openapi_3_0_3(name: str) -> None:
    validate(SPECS[name])
    assert SPECS[name]["openapi"] == "3.0.3"


def test_servers_give_the_base_paths_the_app_mounts() -> None:
    assert GATEWAY["servers"] == [{"url": "/"}]
    assert MOCK["servers"] == [{"url": "/__mock"}]


def _routes(spec: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """operationId -> (METHOD, path, *tags); one tag each, so it compares with the tables above."""
    return {op_id: (method, path, *operation["tags"]) for op_id, (method, path, operation) in operations(spec).items()}


def test_gateway_operations_are_exactly_the_contract() -> None:
    assert _routes(GATEWAY) == GATEWAY_OPERATIONS


def test_mock_operations_are_exactly_the_control_plane() -> None:
    assert _routes(MOCK) == MOCK_OPERATIONS
    assert all(op_id.startswith("mock_") for op_id in MOCK_OPERATIONS)


def test_every_tag_used_is_declared() -> None:
    for spec in SPECS.values():
        declared = [tag["name"] for tag in spec["tags"]]
        used = {tag for _, _, operation in operations(spec).values() for tag in operation["tags"]}
        assert used == set(declared)


@pytest.mark.parametrize("name", SPECS)
def test_errors_are_shared_responses_and_500_is_everywhere(name: str) -> None:
    spec = SPECS[name]
    for op_id, (_, _, operation) in operations(spec).items():
        assert "500" in operation["responses"], op_id
        for status, response in operation["responses"].items():
            if not status.startswith("2"):
                assert response["$ref"].startswith("#/components/responses/"), (op_id, status)


def test_gateway_documents_every_status_the_real_api_answers() -> None:
    assert {op_id: set(responses(GATEWAY, op_id)) for op_id in GATEWAY_OPERATIONS} == GATEWAY_STATUSES


def test_control_plane_documents_400_401_404_500() -> None:
    success = {"mock_scenarios.create_scenario": "201", "mock_callbacks.redeliver_callback": "202"}
    for op_id, (_, path, _) in MOCK_OPERATIONS.items():
        expected = {success.get(op_id, "200"), "400", "500"}
        if op_id != "mock_admin.health":
            expected.add("401")
        if "{" in path:
            expected.add("404")
        assert set(responses(MOCK, op_id)) == expected, op_id


def test_gateway_json_errors_use_the_envelope_and_storage_errors_are_xml() -> None:
    for op_id, (_, _, operation) in operations(GATEWAY).items():
        for status, response in operation["responses"].items():
            if status.startswith("2"):
                continue
            content = resolve(GATEWAY, response)["content"]
            if op_id.startswith("storage."):
                assert content["application/xml"]["schema"] == {"$ref": "#/components/schemas/StorageError"}
            else:
                assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorEnvelope"}


def test_envelope_schemas_are_identical_in_both_documents() -> None:
    for name in ("ErrorItem", "ErrorEnvelope"):
        assert schema(GATEWAY, name) == schema(MOCK, name)
    assert schema(GATEWAY, "ErrorItem")["properties"]["code"] == {"oneOf": [{"type": "string"}, {"type": "integer"}]}


# ---- examples ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "example_pointer", "schema_pointer", "value"), ALL_EXAMPLES,
    ids=[f"{name}:{pointer}" for name, pointer, _, _ in ALL_EXAMPLES],
)  # fmt: skip
def test_example_matches_its_schema(name: str, example_pointer: str, schema_pointer: str, value: Any) -> None:
    assert errors_for(name, schema_pointer, value) == []


def test_every_json_response_and_request_body_has_an_example() -> None:
    for name, spec in SPECS.items():
        for op_id, (_, _, operation) in operations(spec).items():
            bodies = [("requestBody", operation["requestBody"])] if "requestBody" in operation else []
            for where, node in [*bodies, *operation["responses"].items()]:
                media = json_media(spec, node)
                if media is not None:
                    assert "example" in media or "examples" in media, (name, op_id, where)
    assert len(ALL_EXAMPLES) >= 90


def test_example_validation_rejects_what_the_contract_forbids() -> None:
    token = "/components/schemas/TokenResponse"
    good = {"success": True, "data": {"token": "eyJraWQiOi.x.y", "expiry_seconds": "3600", "expires_at": "1795705200"}}
    assert errors_for("gateway", token, good) == []
    assert errors_for("gateway", token, {**good, "data": {**good["data"], "expiry_seconds": 3600}})
    camel = {"token": "t", "expirySeconds": "1", "expiresAt": "1"}
    assert errors_for("gateway", token, {"success": True, "data": camel})
    status = "/components/schemas/SubmissionStatus"
    exit_valid = pointer_get(
        GATEWAY, "/paths/~1coe~1v1~1submissions~1{submissionId}~1status/get/responses/200/content/application~1json"
        "/examples/exitValid/value/data",
    )  # fmt: skip
    assert errors_for("gateway", status, exit_valid) == []
    assert errors_for("gateway", status, {**exit_valid, "retryReason": "TOO_DARK"})
    assert errors_for("gateway", status, {**exit_valid, "createdAt": "26-11-2026"})
    assert errors_for("gateway", status, {**exit_valid, "nextAction": None})
    envelope = "/components/schemas/ErrorEnvelope"
    assert errors_for("gateway", envelope, {"success": False, "errors": [], "data": None})
    assert errors_for("gateway", envelope, {"success": False, "errors": [{"code": 1.5, "cause": "X"}]})
    assert errors_for("gateway", envelope, {"success": False, "errors": [{"code": "1539", "cause": "X"}], "data": {}})
    assert errors_for("mock", "/components/schemas/ScenarioOverride", {"match": {"clientId": "demo-client"}})
    assert errors_for("mock", "/components/schemas/ScenarioOverride", {"scenario": "slow", "colour": "red"})


# ---- contract facts the team relies on -----------------------------------------------------------------------


def test_token_apis_answer_snake_case_strings() -> None:
    token = schema(GATEWAY, "Token")
    assert token["required"] == ["token", "expiry_seconds", "expires_at"]
    types_of = {key: value["type"] for key, value in token["properties"].items()}
    assert types_of == dict.fromkeys(token["required"], "string")
    for op_id in ("tokens.partner_token", "tokens.user_token"):
        media = responses(GATEWAY, op_id)["200"]["content"]["application/json"]
        assert media["schema"] == {"$ref": "#/components/schemas/TokenResponse"}
        assert set(media["example"]["data"]) == {"token", "expiry_seconds", "expires_at"}
        assert media["example"]["data"]["token"].startswith("eyJraWQiOi")
    user = responses(GATEWAY, "tokens.user_token")["200"]["content"]["application/json"]["example"]
    assert user["data"]["expiry_seconds"] == "5184000"


def test_initiate_flow_answers_camel_case_strings() -> None:
    data = schema(GATEWAY, "InitiateFlowResponse")["properties"]["data"]
    assert data == {"oneOf": [{"$ref": f"#/components/schemas/{name}"} for name in ("SdkLaunch", "WebSdkLaunch")]}
    for name, first in (("SdkLaunch", "token"), ("WebSdkLaunch", "launchUrl")):
        launch = schema(GATEWAY, name)
        assert launch["required"] == [first, "expirySeconds", "expiresAt"]
        assert all(launch["properties"][key]["type"] == "string" for key in launch["required"])
    named = responses(GATEWAY, "flows.initiate_flow")["200"]["content"]["application/json"]["examples"]
    assert set(named["sdk"]["value"]["data"]) == {"token", "expirySeconds", "expiresAt"}
    assert set(named["webSdk"]["value"]["data"]) == {"launchUrl", "expirySeconds", "expiresAt"}


def test_initiate_flow_body_is_the_real_one() -> None:
    body = schema(GATEWAY, "InitiateFlowRequest")
    assert body["required"] == ["flow", "source"]
    assert body["properties"]["flow"]["enum"] == [
        "FACE_VERIFICATION", "KTP_SCAN", "KYC_LITE", "ON_DEMAND_FR", "STANDALONE_LIVENESS",
    ]  # fmt: skip
    assert body["properties"]["source"]["enum"] == ["SDK", "WEB_SDK"]
    assert body["properties"]["theme"]["enum"] == ["DARK_MODE", "LIGHT_MODE", "NO_PREFERENCE"]
    details = schema(GATEWAY, "AdditionalDetails")["properties"]
    assert set(details) == {"referenceImageUrl", "userLocale", "allowQr", "forceQr", "portraitOnly"}
    assert details["userLocale"]["enum"] == ["id_ID", "en_ID"]


def test_presigned_urls_offer_the_ktp_front_slot() -> None:
    documents = schema(GATEWAY, "PresignedUrls")["properties"]["documents"]
    assert documents["properties"] == {"KTP_FRONT": {"$ref": "#/components/schemas/UploadSlot"}}
    slot = schema(GATEWAY, "UploadSlot")
    assert slot["required"] == ["documentUrl", "documentReference", "expiryInSeconds"]
    assert slot["properties"]["expiryInSeconds"]["type"] == "string"
    example = responses(GATEWAY, "submissions.presigned_urls")["200"]["content"]["application/json"]["example"]
    assert list(example["data"]["documents"]) == ["KTP_FRONT"]
    assert example["data"]["documents"]["KTP_FRONT"]["expiryInSeconds"] == "600"
    assert "KTP_FRONT" in schema(GATEWAY, "SubmissionStatus")["properties"]["documents"]["properties"]


def test_confirm_answers_the_processing_message() -> None:
    example = responses(GATEWAY, "submissions.confirm_submission")["200"]["content"]["application/json"]["example"]
    assert example["data"]["uiMessages"] == {
        "message_1": {"title": "Processing", "message": "Your submission is being processed"},
    }
    assert schema(GATEWAY, "ConfirmRequest")["required"] == ["submissionId"]


def test_status_drives_the_sdk_with_next_action() -> None:
    status = schema(GATEWAY, "SubmissionStatus")["properties"]
    assert status["nextAction"]["enum"] == ["STATUS", "RETRY", "EXIT"]
    assert "nextAction" in schema(GATEWAY, "SubmissionStatus")["required"]
    assert schema(GATEWAY, "RetryReason")["enum"] == [*RETRY_REASONS, None]
    named = responses(GATEWAY, "submissions.submission_status")["200"]["content"]["application/json"]["examples"]
    actions = {name: example["value"]["data"]["nextAction"] for name, example in named.items()}
    assert actions == {"inProgress": "STATUS", "retryGlare": "RETRY", "exitValid": "EXIT"}
    retry = named["retryGlare"]["value"]["data"]
    assert (retry["retryReason"], retry["attemptsRemaining"]) == ("GLARE_DETECTED", 2)


@pytest.mark.parametrize("op_id", GATEWAY_OPERATIONS)
def test_header_parameters_match_the_real_api(op_id: str) -> None:
    headers = [parameter for parameter in parameters(GATEWAY, op_id) if parameter["in"] == "header"]
    assert {header["name"]: header.get("required", False) for header in headers} == GATEWAY_HEADERS[op_id]
    for header in headers:
        expected = {"$ref": "#/components/schemas/ScenarioName"} if header["name"] == "x-mock-scenario" else None
        assert header["schema"] == (expected or {"type": "string", "minLength": 1}), header["name"]


def test_tokens_travel_only_through_the_security_schemes() -> None:
    names = [parameter["name"] for op_id in GATEWAY_OPERATIONS for parameter in parameters(GATEWAY, op_id)]
    assert "x-onekyc-token" not in names
    assert GATEWAY["components"]["securitySchemes"] == {
        "PartnerToken": {
            "type": "apiKey", "in": "header", "name": "x-onekyc-token",
            "description": "A partner token from `GET /v1/coe/partner/authentication`.",
            "x-apikeyInfoFunc": f"{SECURITY_FUNCTIONS}.partner_token_info",
        },
        "UserToken": {
            "type": "apiKey", "in": "header", "name": "x-onekyc-token",
            "description": "A user token from `GET /v2/coe/authentication` or Initiate Flow with `source: SDK`.",
            "x-apikeyInfoFunc": f"{SECURITY_FUNCTIONS}.user_token_info",
        },
    }  # fmt: skip
    found = {op_id: effective_security(GATEWAY, operation) for op_id, (_, _, operation) in operations(GATEWAY).items()}
    assert found == GATEWAY_SECURITY


def test_control_plane_takes_the_admin_key_or_partner_credentials() -> None:
    schemes = MOCK["components"]["securitySchemes"]
    assert {name: (scheme["in"], scheme["name"], scheme["x-apikeyInfoFunc"]) for name, scheme in schemes.items()} == {
        "AdminKey": ("header", "x-mock-admin-key", f"{SECURITY_FUNCTIONS}.admin_key_info"),
        "PartnerClientId": ("header", "client-id", f"{SECURITY_FUNCTIONS}.client_id_info"),
        "PartnerPassKey": ("header", "pass-key", f"{SECURITY_FUNCTIONS}.pass_key_info"),
    }
    for op_id, (_, _, operation) in operations(MOCK).items():
        expected = [] if op_id == "mock_admin.health" else CONTROL_PLANE_SECURITY
        assert effective_security(MOCK, operation) == expected, op_id


def test_user_token_api_answers_integer_codes_and_the_rest_strings() -> None:
    def codes(op_id: str, status: str) -> list[Any]:
        media = resolve(GATEWAY, responses(GATEWAY, op_id)[status])["content"]["application/json"]
        values = [media["example"]] if "example" in media else [ex["value"] for ex in media["examples"].values()]
        return [error["code"] for value in values for error in value["errors"]]

    assert codes("tokens.user_token", "400") == [1539, 1539, 1539]
    assert codes("tokens.user_token", "401") == [110]
    assert codes("tokens.partner_token", "400") == ["1539", "1539"]
    for op_id, statuses in GATEWAY_STATUSES.items():
        if op_id.startswith("storage."):
            continue
        for status in statuses - {"200"} - ({"400", "401"} if op_id == "tokens.user_token" else set()):
            assert all(isinstance(code, str) for code in codes(op_id, status)), (op_id, status)


def test_scenario_names_are_the_generators() -> None:
    assert schema(GATEWAY, "ScenarioName")["enum"] == list(SCENARIO_NAMES)
    assert schema(MOCK, "ScenarioName")["enum"] == list(SCENARIO_NAMES)
    assert schema(MOCK, "SubmissionRecord")["properties"]["scenario"]["enum"] == [*SCENARIO_NAMES, None]


def test_retry_reasons_agree_everywhere() -> None:
    assert schema(MOCK, "RetryReason")["enum"] == RETRY_REASONS
    assert schema(MOCK, "SubmissionRecord")["properties"]["retryReason"]["enum"] == [*RETRY_REASONS, None]


def test_ktp_data_keys_are_the_generators_in_order() -> None:
    ktp = schema(GATEWAY, "KtpData")
    assert list(ktp["properties"]) == list(API_KEYS.values())
    assert ktp["required"] == list(API_KEYS.values())
    assert {prop["type"] for prop in ktp["properties"].values()} == {"string"}
    assert all(prop.get("description") for prop in ktp["properties"].values())


def test_submission_data_carries_the_ktp_image_url() -> None:
    details = schema(GATEWAY, "SubmissionDetails")["properties"]
    assert details["imageUrls"]["required"] == ["KTP"]
    assert details["ktpData"] == {"$ref": "#/components/schemas/KtpData"}
    data = schema(GATEWAY, "SubmissionData")
    assert data["properties"]["result"]["enum"] == ["VALID", "INVALID", None]
    for op_id in ("details.submission_details", "details.partner_submission_details"):
        assert responses(GATEWAY, op_id)["200"] == {"$ref": "#/components/responses/SubmissionDetails"}


def test_scenario_overrides_name_gateway_operations() -> None:
    assert schema(MOCK, "GatewayOperation")["enum"] == list(GATEWAY_OPERATIONS)


def test_initiate_flow_documents_the_partner_callback() -> None:
    _, _, operation = operations(GATEWAY)["flows.initiate_flow"]
    callback = operation["callbacks"]["submissionResult"]["https://partner.example.com/onekyc/callback"]
    post = callback["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/SubmissionData"}
    headers = [resolve(GATEWAY, parameter) for parameter in post["parameters"]]
    assert [(header["in"], header["name"], header["required"]) for header in headers] == [
        ("header", "webhook-id", False), ("header", "webhook-timestamp", False), ("header", "webhook-signature", False),
    ]  # fmt: skip
    assert set(post["responses"]) == {"200"}


def _closed_objects(spec: dict[str, Any], node: dict[str, Any], where: str) -> Iterator[tuple[str, Any]]:
    """(location, additionalProperties) for every object schema with declared properties under `node`."""
    node = resolve(spec, node)
    if "properties" in node:
        yield where, node.get("additionalProperties")
        for key, child in node["properties"].items():
            yield from _closed_objects(spec, child, f"{where}.{key}")
    if "items" in node:
        yield from _closed_objects(spec, node["items"], f"{where}[]")


@pytest.mark.parametrize("name", SPECS)
def test_request_bodies_reject_unknown_fields(name: str) -> None:
    spec = SPECS[name]
    checked = 0
    for op_id, (_, _, operation) in operations(spec).items():
        media = json_media(spec, operation.get("requestBody", {}))
        if media is None:
            continue
        for where, additional in _closed_objects(spec, media["schema"], op_id):
            assert additional is False, where
            checked += 1
    assert checked == {"gateway": 3, "mock": 7}[name]


# ---- connexion reads the documents as intended ---------------------------------------------------------------


def _security_stub(value: str, required_scopes: list[str] | None = None) -> dict[str, str] | None:
    return None if value == "bad" else {"sub": value}


def _stub_for(spec: dict[str, Any], calls: list[tuple[str, dict[str, Any]]]) -> Callable[[str], Callable[..., Any]]:
    """A function resolver whose handlers record their call and answer the operation's documented example."""
    ops = operations(spec)

    def resolver(op_id: str) -> Callable[..., Any]:
        success = next(status for status in ops[op_id][2]["responses"] if status.startswith("2"))
        media = json_media(spec, ops[op_id][2]["responses"][success])

        def handler(**kwargs: Any) -> tuple[Any, int]:
            calls.append((op_id, kwargs))
            return (first_example(media) if media else ""), int(success)

        return handler

    return resolver


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Any, list[tuple[str, dict[str, Any]]]]]:
    """Both documents mounted as the gateway mounts them, with stub handlers and stub security functions."""
    security = types.ModuleType(SECURITY_FUNCTIONS)
    for function in ("partner_token_info", "user_token_info", "admin_key_info", "client_id_info", "pass_key_info"):
        setattr(security, function, _security_stub)
    calls: list[tuple[str, dict[str, Any]]] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sys.modules, SECURITY_FUNCTIONS, security)
        app = connexion.FlaskApp(__name__, specification_dir=str(OPENAPI_DIR))
        for file, base_path, spec in (("gateway.yaml", "", GATEWAY), ("mock.yaml", "/__mock", MOCK)):
            resolver = Resolver(function_resolver=_stub_for(spec, calls))
            app.add_api(file, base_path=base_path, resolver=resolver, strict_validation=True, validate_responses=True)
        with app.test_client() as client:
            yield client, calls


TOKEN_HEADERS = {"client-id": "demo-client", "pass-key": "demo-pass-key"}
FLOW_HEADERS = {
    "x-onekyc-token": "partner-token", "x-onboarding-partner": "DEMO-SDK-KTP_SCAN", "x-partner-user-id": "user-8f2a41",
    "x-partner-user-id-type": "CLIENT_X_USER_ID", "x-partner-session-id": "d6646921-4f1e-4b8a-9c3d-7a2e5b1f0c88",
}  # fmt: skip
USER_REQUEST_HEADERS = {key: value for key, value in FLOW_HEADERS.items() if key in USER_HEADERS}
SDK_REQUEST_HEADERS = {
    "x-onekyc-token": "user-token", "x-sdk-session-id": "2f8c4a6e", "x-partner-session-id": "d6646921",
}  # fmt: skip
PRESIGNED_QUERY = (
    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=c&X-Amz-Date=20261126T140005Z&X-Amz-Expires=600"
    "&X-Amz-SignedHeaders=host&X-Amz-Signature=abc"
)
KTP_FLOW = {"flow": "KTP_SCAN", "source": "SDK"}


@pytest.mark.parametrize(
    ("method", "url", "headers", "body", "status"),
    [
        ("GET", "/v1/coe/partner/authentication", {}, None, 400),
        ("GET", "/v1/coe/partner/authentication", {"client-id": "demo-client", "pass-key": ""}, None, 400),
        ("GET", "/v2/coe/authentication", TOKEN_HEADERS, None, 400),
        ("POST", "/coe-partner/v1/initiate-flow", {k: v for k, v in FLOW_HEADERS.items() if k != "x-onekyc-token"},
         KTP_FLOW, 401),
        ("POST", "/coe-partner/v1/initiate-flow", {**FLOW_HEADERS, "x-onekyc-token": "bad"}, KTP_FLOW, 401),
        ("POST", "/coe-partner/v1/initiate-flow", FLOW_HEADERS, {**KTP_FLOW, "extra": 1}, 400),
        ("POST", "/coe-partner/v1/initiate-flow", FLOW_HEADERS, {"flow": "KTP_SCAN", "source": "APP"}, 400),
        ("POST", "/coe-partner/v1/initiate-flow", {**FLOW_HEADERS, "x-mock-scenario": "retry-fog"}, KTP_FLOW, 400),
        ("GET", "/coe/v1/submissions/urls?submissionType=PASSPORT", SDK_REQUEST_HEADERS, None, 400),
        ("PUT", "/coe/v1/submissions/urls", SDK_REQUEST_HEADERS, {"submissionId": ""}, 400),
        ("GET", f"/mock-storage/4c8e2a91?{PRESIGNED_QUERY.split('&', 1)[1]}", {}, None, 400),
        ("GET", "/__mock/partners", {}, None, 401),
        ("GET", "/__mock/partners", {"client-id": "demo-client"}, None, 401),
        ("POST", "/__mock/scenarios", {"x-mock-admin-key": "k"}, {"match": {"clientId": "demo-client"}}, 400),
        ("POST", "/__mock/journal/verify", {"x-mock-admin-key": "k"}, {"withinMs": 60001}, 400),
        ("GET", "/__mock/journal?limit=1001", {"x-mock-admin-key": "k"}, None, 400),
    ],
    ids=[
        "token-headers-missing", "token-pass-key-empty", "user-token-user-headers-missing", "flow-token-missing",
        "flow-token-rejected", "flow-extra-field", "flow-bad-source", "flow-unknown-scenario", "bad-submission-type",
        "confirm-empty-id", "storage-query-missing", "mock-no-credentials", "mock-client-id-alone",
        "scenario-without-effect", "verify-window-too-long", "journal-limit-too-high",
    ],
)  # fmt: skip
def test_connexion_rejects_what_the_documents_forbid(
    served: tuple[Any, list[Any]], method: str, url: str, headers: dict[str, str], body: Any, status: int
) -> None:
    client, calls = served
    before = len(calls)
    response = client.request(method, url, headers=headers, json=body)
    assert response.status_code == status
    assert len(calls) == before


@pytest.mark.parametrize(
    ("method", "url", "headers", "body", "op_id", "status"),
    [
        ("GET", "/v1/coe/partner/authentication", TOKEN_HEADERS, None, "tokens.partner_token", 200),
        ("GET", "/v2/coe/authentication", {**TOKEN_HEADERS, **USER_REQUEST_HEADERS}, None, "tokens.user_token", 200),
        ("POST", "/coe-partner/v1/initiate-flow", {**FLOW_HEADERS, "x-mock-scenario": "retry-glare"}, KTP_FLOW,
         "flows.initiate_flow", 200),
        ("GET", "/coe/v1/submissions/urls?submissionType=KTP_SCAN", SDK_REQUEST_HEADERS, None,
         "submissions.presigned_urls", 200),
        ("PUT", "/coe/v1/submissions/urls", SDK_REQUEST_HEADERS, {"submissionId": "0b7d", "metadata": {"any": [1]}},
         "submissions.confirm_submission", 200),
        ("GET", "/coe/v1/submissions/0b7d/status", SDK_REQUEST_HEADERS, None, "submissions.submission_status", 200),
        ("GET", "/coe/v1/submissions", {"x-onekyc-token": "partner-token", "x-submission-id": "0b7d"}, None,
         "details.submission_details", 200),
        ("GET", "/__mock/health", {}, None, "mock_admin.health", 200),
        ("GET", "/__mock/partners", TOKEN_HEADERS, None, "mock_partners.list_partners", 200),
        ("POST", "/__mock/scenarios", {"x-mock-admin-key": "k"}, {"scenario": "slow", "times": None},
         "mock_scenarios.create_scenario", 201),
        ("GET", "/__mock/journal?since=2026-11-26T14:00:00Z&status=200&order=desc", {"x-mock-admin-key": "k"}, None,
         "mock_journal.query_journal", 200),
        ("POST", "/__mock/callbacks/msg_5f0c/redeliver", {"x-mock-admin-key": "k"}, None,
         "mock_callbacks.redeliver_callback", 202),
    ],
    ids=[
        "partner-token", "user-token", "initiate-flow", "presigned-urls", "confirm", "status", "details", "health",
        "partners-as-partner", "create-scenario", "journal-query", "redeliver",
    ],
)  # fmt: skip
def test_connexion_accepts_contract_requests_and_documented_examples(
    served: tuple[Any, list[Any]], method: str, url: str, headers: dict[str, str], body: Any, op_id: str, status: int
) -> None:
    client, calls = served
    response = client.request(method, url, headers=headers, json=body)
    assert (response.status_code, calls[-1][0]) == (status, op_id), response.text
    assert response.json()["success"] is True


def test_connexion_hands_the_raw_image_to_the_storage_handler(served: tuple[Any, list[Any]]) -> None:
    client, calls = served
    image = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    response = client.put(
        f"/mock-storage/4c8e2a91?{PRESIGNED_QUERY}", content=image, headers={"content-type": "image/png"},
    )  # fmt: skip
    assert response.status_code == 200
    op_id, kwargs = calls[-1]
    assert (op_id, kwargs["body"], kwargs["documentReference"]) == ("storage.upload_document", image, "4c8e2a91")
