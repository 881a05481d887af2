"""Property-based: requests generated from the served OpenAPI document (schemathesis), valid ones and
ones that break the schema, against the real HTTP endpoint. None may get a 5xx, and every answer must
match the document (status codes, JSON bodies).

Why schemathesis (a test dependency): it derives both conforming and non-conforming requests from
the very document served at /api/openapi.json, so the contract and the validation cannot drift apart.
The example count is kept small so the test stays within a few seconds.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.sandbox.world import World

TOKEN = "tok-fuzz"


@pytest.fixture
def fuzz_world(world_factory: Any) -> World:
    return world_factory(ingest_tokens=[TOKEN], extra_settings={"BATON_INGEST_RATE": 0})


def _cases(doc: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Cases of every operation, in both generation modes (conforming, and breaking the schema)."""
    schema = schemathesis.openapi.from_dict(doc)
    operations = [result.ok() for result in schema.get_all_operations()]
    return st.one_of(
        [op.as_strategy(generation_mode=mode) for op in operations for mode in schemathesis.GenerationMode]
    )


def test_no_generated_input_gets_a_server_error(fuzz_world: World) -> None:
    assert fuzz_world.server is not None
    base = fuzz_world.server.url
    doc = httpx.get(base + "/api/openapi.json", timeout=5).json()

    # The real token on most cases (so the body is what is tested), the generated one on the rest.
    @given(case=_cases(doc), real_token=st.integers(0, 4))
    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case: Any, real_token: int) -> None:
        headers = dict(case.headers or {})
        if real_token:
            headers["Authorization"] = f"Bearer {TOKEN}"
        response = case.call(base_url=base, headers=headers)
        assert response.status_code < 500, response.text
        assert (response.headers.get("content-type") or [""])[0].startswith("application/json")
        if response.status_code == 413:  # too big to read: refused before its content is looked at
            return
        case.validate_response(response, excluded_checks=[schemathesis.checks.ignored_auth])

    check()


def test_the_document_is_served_and_is_openapi_3(fuzz_world: World) -> None:
    assert fuzz_world.server is not None
    doc = httpx.get(fuzz_world.server.url + "/api/openapi.json", timeout=5).json()
    assert doc["openapi"].startswith("3.")
    assert {"/api/v1/messages", "/api/v1/messages/batch"} <= set(doc["paths"])
