"""The OpenAPI document says what the server really answers: every error is `{detail, code}`
(`ErrorOut`), 422 included (FastAPI would describe its own validation shape), and any call may
answer a 4xx or 5xx error. `tests/server/test_openapi_conformance.py` keeps it true."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from inbox_app.models.schemas import ErrorOut

ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
ERROR_CONTENT = {"application/json": {"schema": ERROR_REF}}
ERRORS = {
    "422": "Bad input: `detail` names the field.",
    "4XX": "Refused: `{detail, code}`, `detail` a sentence a person can act on.",
    "5XX": "The server or a service behind it failed: `{detail, code}`.",
}


# A wall-clock time of day as the API writes and reads it (quiet hours, a step's send time):
# no offset, unlike JSON Schema's "time" format (RFC 3339 full-time).
WALL_CLOCK = {
    "type": "string",
    "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
    "description": "A wall-clock time of day, HH:MM[:SS], without an offset.",
}


def _wall_clock_times(node) -> None:
    """Every `format: time` becomes WALL_CLOCK (what pydantic's `datetime.time` really is)."""
    if isinstance(node, dict):
        if node.get("format") == "time" and node.get("type") == "string":
            node.pop("format")
            for key, value in WALL_CLOCK.items():
                node.setdefault(key, value)
        for value in node.values():
            _wall_clock_times(value)
    elif isinstance(node, list):
        for value in node:
            _wall_clock_times(value)


def install(app: FastAPI) -> None:
    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["ErrorOut"] = ErrorOut.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        for item in schema.get("paths", {}).values():
            for operation in item.values():
                responses = operation.setdefault("responses", {})
                for code, description in ERRORS.items():
                    answer = responses.setdefault(code, {"description": description})
                    answer["content"] = ERROR_CONTENT
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        _wall_clock_times(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi
