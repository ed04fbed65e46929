"""Fuzz every operation from the OpenAPI document: whatever comes in, never a 500."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.slow
SKIPPED = {"/api/v1/auth/logout"}  # would revoke the token the rest of the run uses


@pytest.fixture
def settings_overrides():
    return {"login_rate_limit": "10000 per minute"}


@pytest.fixture
def fuzz_target(app):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [operation for operation in operations if operation.path not in SKIPPED]
    client = app.test_client()
    tokens = {
        username: client.post("/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD}).json[
            "access_token"]
        for username in ("rep1", "manager")
    }
    return operations, tokens


@hypothesis_settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_no_operation_answers_500(fuzz_target, data):
    operations, tokens = fuzz_target
    operation = data.draw(st.sampled_from(operations))
    mode = data.draw(st.sampled_from([GenerationMode.POSITIVE, GenerationMode.NEGATIVE]))
    case = data.draw(operation.as_strategy(generation_mode=mode))
    username = data.draw(st.sampled_from(sorted(tokens)))
    response = case.call(headers={"Authorization": f"Bearer {tokens[username]}"})
    case.validate_response(response, checks=[not_a_server_error])
