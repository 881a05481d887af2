"""The ingest API's OpenAPI 3 document, served at GET /api/openapi.json (docs/ingest-api.md).

The validation in bot/ingest_api.py enforces exactly these limits; tests/e2e/test_ingest_openapi.py
generates requests from this document (schemathesis) and checks that none gets a 5xx and every
answer matches what the document says.
"""

from __future__ import annotations

from typing import Any

LIMITS = {
    "conversation_id": 56,
    "account_id": 128,
    "message_id": 64,
    "author": 64,
    "text": 40000,
    "summary": 4000,
    "conversation_url": 500,
    "batch": 100,
}

_ID = "^[\\x21-\\x7e]+$"


def _message_schema() -> dict[str, Any]:
    ident = {"type": "string", "minLength": 1, "pattern": _ID}
    message: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["conversation_id", "account_id", "role", "text", "timestamp"],
        "properties": {
            "conversation_id": {
                **ident,
                "maxLength": LIMITS["conversation_id"],
                "description": "Your id of the conversation: every message of one chat carries the same.",
            },
            "account_id": {
                **ident,
                "maxLength": LIMITS["account_id"],
                "description": "The customer account (the policy's `accounts[].account`, or your CRM's id).",
            },
            "role": {"type": "string", "enum": ["customer", "ai", "agent"]},
            "text": {"type": "string", "minLength": 1, "maxLength": LIMITS["text"]},
            "timestamp": {
                "type": "string",
                "format": "date-time",
                "description": "When it was written, RFC 3339 with an offset (2026-11-23T15:04:05Z).",
            },
            "message_id": {
                **ident,
                "maxLength": LIMITS["message_id"],
                "description": "Unique within the conversation; without it, one is derived from the content.",
            },
            "author": {"type": "string", "maxLength": LIMITS["author"]},
            "confidence": {
                "type": "number",
                "minimum": 0,
                "maximum": 1,
                "description": "role ai: the AI agent's confidence in this answer.",
            },
            "summary": {
                "type": "string",
                "maxLength": LIMITS["summary"],
                "description": "role ai: the AI agent's summary of the conversation so far.",
            },
            "language": {"type": "string", "pattern": "^[a-z]{2}$", "description": "ISO 639-1."},
            "conversation_url": {
                "type": "string",
                "maxLength": LIMITS["conversation_url"],
                "pattern": "^https?://",
            },
        },
    }
    # Optional fields may be sent as null (many clients serialise a missing value so): the same as absent.
    for name, schema in message["properties"].items():
        if name not in message["required"]:
            schema["nullable"] = True
    return message


def _error() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["error", "message"],
        "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
    }


def _responses() -> dict[str, Any]:
    err = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return {
        "202": {
            "description": "Stored durably; processed in order by Baton's workers. A replay of an"
            " Idempotency-Key is answered the same, with `Idempotent-Replayed: true`.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}},
        },
        "400": {"description": "The body is not UTF-8 JSON, or its length is wrong.", **err},
        "401": {"description": "No bearer token, or not one of BATON_INGEST_TOKEN.", **err},
        "404": {"description": "The ingest API is off (no BATON_INGEST_TOKEN).", **err},
        "411": {"description": "No Content-Length.", **err},
        "413": {"description": "The body is over the limit (BATON_MAX_BODY_BYTES).", **err},
        "415": {"description": "Not application/json.", **err},
        "409": {"description": "This Idempotency-Key was used with another body.", **err},
        "422": {"description": "A field is wrong (the message names it).", **err},
        "429": {"description": "Over the token's rate limit; see Retry-After.", **err},
        "503": {"description": "Cannot store right now; see Retry-After.", **err},
    }


def document() -> dict[str, Any]:
    idem = {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "Retries with the same key and body are answered as the first time, for at least 24 h.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": _ID},
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Baton ingest API",
            "version": "1",
            "description": "Hand Baton the messages of conversations it should watch (docs/ingest-api.md).",
        },
        "paths": {
            "/api/v1/messages": {
                "post": {
                    "operationId": "postMessage",
                    "summary": "One message of a conversation",
                    "parameters": [idem],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Message"}}},
                    },
                    "responses": _responses(),
                }
            },
            "/api/v1/messages/batch": {
                "post": {
                    "operationId": "postMessages",
                    "summary": "Up to 100 messages, taken in order, all or none",
                    "parameters": [idem],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Batch"}}},
                    },
                    "responses": _responses(),
                }
            },
        },
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Message": _message_schema(),
                "Batch": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["messages"],
                    "properties": {
                        "messages": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": LIMITS["batch"],
                            "items": {"$ref": "#/components/schemas/Message"},
                        }
                    },
                },
                "Accepted": {
                    "type": "object",
                    "required": ["accepted", "messages"],
                    "properties": {
                        "accepted": {"type": "integer", "minimum": 1},
                        "messages": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["conversation_id", "message_id"],
                                "properties": {
                                    "conversation_id": {"type": "string"},
                                    "message_id": {"type": "string"},
                                },
                            },
                        },
                    },
                },
                "Error": _error(),
            },
        },
    }
