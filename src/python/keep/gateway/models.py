"""The JSON API's bodies as pydantic models: they validate requests and generate the OpenAPI
components, so the document cannot drift from what the handlers accept.

Request bodies are parsed by pydantic's own JSON parser, not `json.loads`: it refuses lone
UTF-16 surrogates (which cannot be encoded as UTF-8, so never reach gRPC or Redis), has a
nesting limit (no RecursionError on `[[[[...`), and numbers too large for any field."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from keep.gateway.errors import ApiError

MIN_TTL_SECONDS = 60
MAX_TTL_SECONDS = 7 * 24 * 3600
DEFAULT_TTL_SECONDS = 86400
# Far above any password Keep issues (22 characters); longer ones are refused before gRPC.
MAX_PASSWORD_CHARS = 4096


class _Body(BaseModel):
    # Unknown fields are ignored, as before: clients may send more than we read.
    model_config = ConfigDict(frozen=True)


class CreateRequest(_Body):
    # Empty is documented as invalid but checked by actions.create, which says `empty_secret`
    # for both APIs.
    secret: StrictStr = Field(json_schema_extra={"minLength": 1})
    # Strict: "60", 60.0 and true are refused, not converted.
    ttl_seconds: StrictInt = Field(
        default=DEFAULT_TTL_SECONDS, ge=MIN_TTL_SECONDS, le=MAX_TTL_SECONDS
    )


class RevealRequest(_Body):
    password: StrictStr = Field(min_length=1, max_length=MAX_PASSWORD_CHARS)


class Created(_Body):
    id: str
    url: str = Field(description="POST the password here.")
    password: str
    share_url: str = Field(description="The reveal page with the password in the fragment.")
    expires_at: datetime


class Revealed(_Body):
    """`secret` if it is UTF-8 text, else `secret_base64`."""

    secret: str | None = None
    secret_base64: str | None = Field(default=None, json_schema_extra={"format": "byte"})


class Status(_Body):
    id: str
    expires_at: datetime | None
    locked: bool


class ErrorDetail(_Body):
    code: str = Field(examples=["not_found"])
    message: str


class Error(_Body):
    error: ErrorDetail


BodyT = TypeVar("BodyT", bound=_Body)


def parse(model: type[BodyT], raw: bytes) -> BodyT:
    """The validated body, or 400: `invalid_json` when it is not a JSON object at all,
    `invalid_argument` naming each field that is wrong."""
    try:
        return model.model_validate_json(raw)
    except ValidationError as e:
        errors = e.errors(include_url=False, include_input=False)
    if any(error["type"] in ("json_invalid", "model_type") for error in errors):
        raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
    problems = "; ".join(
        f"`{'.'.join(str(p) for p in error['loc'])}`: {error['msg']}" for error in errors
    )
    raise ApiError(400, "invalid_argument", problems)


def openapi_components() -> dict[str, Any]:
    """JSON Schemas of the models, for an OpenAPI 3.0 document (`#/components/schemas/...`)."""
    schemas: dict[str, Any] = {}
    for model in (Error, CreateRequest, Created, RevealRequest, Revealed, Status):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update({name: _openapi_30(s) for name, s in schema.pop("$defs", {}).items()})
        schemas[model.__name__] = _openapi_30(schema)
    return schemas


def _openapi_30(schema: Any) -> Any:
    """JSON Schema 2020-12 -> OpenAPI 3.0: `anyOf: [X, {type: null}]` becomes X + `nullable`."""
    if isinstance(schema, list):
        return [_openapi_30(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    options = schema.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options and len(options) == 2:
        other = next(o for o in options if o != {"type": "null"})
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        if rest.get("default", ...) is None:
            del rest["default"]
        return {**_openapi_30(other), **_openapi_30(rest), "nullable": True}
    return {k: _openapi_30(v) for k, v in schema.items()}
