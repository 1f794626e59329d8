"""The OpenAPI 3 document for the gateway, served at /api/v1/openapi.json. The paths are
written here; the body schemas come from the pydantic models that validate them (models.py)."""

from __future__ import annotations

from typing import Any

from keep.gateway.models import MAX_TTL_SECONDS, MIN_TTL_SECONDS, openapi_components

_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "description": "The secret's id (the last part of its URL).",
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,128}$"},
}
_ERRORS = {
    "400": "The request (or the id) is malformed; the message says what to fix.",
    "403": "Wrong password, or a request another site sent from the browser.",
    "404": "No such secret: never existed, expired, or already read or burned.",
    "405": "Method not allowed.",
    "408": "The request body did not arrive in time.",
    "413": "The body is larger than the limit.",
    "415": "The body is not `application/json`.",
    "429": "Too many requests (see Retry-After), or your wrong passwords locked you out of "
    "this secret for a while (code `locked`, see Retry-After).",
    "503": "A backend is unavailable, or storage is full (code `storage_full`); retry later. "
    "For a reveal or burn the outcome may be unknown: repeat it with the same Idempotency-Key.",
    "504": "A backend did not answer in time; retry.",
}


# Optional on reveal and burn: a repeat with the same key returns what the first request did.
_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,64}$"},
}


def _errors(*codes: str) -> dict[str, Any]:
    return {
        code: {
            "description": _ERRORS[code],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for code in codes
    }


def _json(schema: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}


def openapi_document(public_url: str, max_payload_bytes: int) -> dict[str, Any]:
    ttl = {"type": "integer", "minimum": MIN_TTL_SECONDS, "maximum": MAX_TTL_SECONDS}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Keep",
            "version": "1.0.0",
            "description": "One-time secrets: a secret can be read once, by whoever holds its "
            f"id and password. Secrets are at most {max_payload_bytes} bytes.",
        },
        "servers": [{"url": public_url}],
        "paths": {
            "/api/v1/secrets": {
                "post": {
                    "operationId": "createSecret",
                    "summary": "Store a secret; returns its link and password.",
                    "requestBody": {"required": True, "content": _json("CreateRequest")},
                    "responses": {
                        "201": {"description": "Created.", "content": _json("Created")},
                        **_errors("400", "403", "408", "413", "415", "429", "503", "504"),
                    },
                }
            },
            "/api/v1/secrets/{id}": {
                "parameters": [_ID],
                "get": {
                    "operationId": "getSecretStatus",
                    "summary": "Whether the secret still exists (never consumes it).",
                    "responses": {
                        "200": {"description": "It exists.", "content": _json("Status")},
                        **_errors("400", "404", "503", "504"),
                    },
                },
                "delete": {
                    "operationId": "burnSecret",
                    "summary": "Destroy the secret without reading it.",
                    "parameters": [
                        {
                            "name": "X-Keep-Password",
                            "in": "header",
                            "required": True,
                            "schema": {"type": "string", "minLength": 1},
                        },
                        _IDEMPOTENCY_KEY,
                    ],
                    "responses": {
                        "204": {"description": "Burned."},
                        **_errors("400", "403", "404", "429", "503", "504"),
                    },
                },
            },
            "/api/v1/secrets/{id}/reveal": {
                "parameters": [_ID],
                "post": {
                    "operationId": "revealSecret",
                    "parameters": [_IDEMPOTENCY_KEY],
                    "summary": "Read the secret once; it is destroyed.",
                    "requestBody": {"required": True, "content": _json("RevealRequest")},
                    "responses": {
                        "200": {"description": "The secret.", "content": _json("Revealed")},
                        **_errors("400", "403", "404", "408", "413", "415", "429", "503", "504"),
                    },
                },
            },
            "/": {
                "post": {
                    "operationId": "createSecretPlain",
                    "summary": "curl -d 'some secret' HOST/ : the body is the secret.",
                    "parameters": [
                        {"name": "ttl", "in": "query", "required": False, "schema": ttl}
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    "responses": {
                        "201": {"description": "Created.", "content": _json("Created")},
                        **_errors("400", "403", "408", "413", "429", "503", "504"),
                    },
                }
            },
            "/{id}": {
                "parameters": [_ID],
                "post": {
                    "operationId": "revealSecretPlain",
                    "parameters": [_IDEMPOTENCY_KEY],
                    "summary": 'curl -d "$password" "$url" : the body is the password.',
                    "requestBody": {
                        "required": True,
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    "responses": {
                        "200": {
                            "description": "The secret, as sent.",
                            "content": {
                                "text/plain": {"schema": {"type": "string"}},
                                "application/octet-stream": {
                                    "schema": {"type": "string", "format": "binary"}
                                },
                            },
                        },
                        **_errors("400", "403", "404", "408", "413", "429", "503", "504"),
                    },
                },
            },
            "/healthz": {
                "get": {
                    "operationId": "liveness",
                    "responses": {"200": {"description": "The process runs."}},
                }
            },
            "/readyz": {
                "get": {
                    "operationId": "readiness",
                    "responses": {
                        "200": {"description": "Ready to serve."},
                        "503": {"description": "Not ready (data-storage down, or draining)."},
                    },
                }
            },
        },
        "components": {"schemas": openapi_components()},
    }
