"""schemathesis' response-conformance checks, for every role: what the API answers to requests built from
its own document is what the document says (status codes, content types, bodies, headers)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import DEMO_PASSWORD

SKIPPED = {"/api/v1/auth/logout"}  # would revoke the token the rest of the run uses
ROLES = ("rep1", "qa", "support", "manager")
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]


@pytest.fixture
def settings_overrides():
    return {"login_rate_limit": "10000 per minute"}


@pytest.fixture
def conformance_target(app, plan_meeting_at):
    from tests.conftest import WEDNESDAY

    plan_meeting_at("rep1", WEDNESDAY, "10:00", products=["instant_debit_card"])  # something to find by id
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [operation for operation in operations if operation.path not in SKIPPED]
    client = app.test_client()
    tokens = {username: client.post("/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD}
                                    ).json["access_token"] for username in ROLES}
    return operations, tokens


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_answer_conforms_to_the_document_for_every_role(conformance_target, data):
    operations, tokens = conformance_target
    operation = data.draw(st.sampled_from(operations))
    case = data.draw(operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    username = data.draw(st.sampled_from(ROLES))
    response = case.call(headers={"Authorization": f"Bearer {tokens[username]}"})
    case.validate_response(response, checks=CHECKS)
