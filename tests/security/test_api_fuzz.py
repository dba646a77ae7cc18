"""Schemathesis over the whole OpenAPI schema, as every role.

Every operation gets FUZZ_EXAMPLES generated requests (valid and deliberately invalid
data, both), each sent as one of the six roles through the real WSGI application with
that person's API token. Checks: no 5xx, the status code, content type, headers and body
are what the schema documents, schema-invalid data is rejected, and every rejection is a
4xx whose body says why in words.
"""

import json
import os

import pytest
import schemathesis
from django.conf import settings
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.specs.openapi import checks as openapi_checks

from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from config.wsgi import application

ROLES = ("reporter", "coordinator", "caseworker", "liaison", "auditor", "agency_admin")
# Per commit 60 (the suite stays well inside CI's time); a deeper run sets more (README).
FUZZ_EXAMPLES = int(os.environ.get("SAMVIRKE_FUZZ_EXAMPLES", "60"))
STATEFUL_EXAMPLES = int(os.environ.get("SAMVIRKE_FUZZ_STATEFUL_EXAMPLES", "25"))


def _schema_document() -> dict:
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


schema = schemathesis.openapi.from_dict(_schema_document())
schema.app = application


def _readable_message(body) -> bool:
    """A rejection names what was wrong: a non-empty message somewhere in the body."""
    if isinstance(body, str):
        return bool(body.strip())
    if isinstance(body, list):
        return any(_readable_message(item) for item in body)
    if isinstance(body, dict):
        return any(_readable_message(value) for value in body.values())
    return False


@schemathesis.check
def rejection_is_readable(ctx: CheckContext, response, case) -> bool | None:
    if 400 <= response.status_code < 500:
        content_type = {k.lower(): v for k, v in response.headers.items()}.get("content-type", [""])
        assert content_type[0].startswith("application/json"), (
            f"{response.status_code} without a JSON message")
        assert _readable_message(json.loads(response.text)), (
            f"{response.status_code} without a readable message: {response.text[:200]}")
    return None


CHECKS = [
    not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.negative_data_rejection,
    rejection_is_readable,
]


@pytest.fixture
def same_connection():
    """The requests go straight to the WSGI application, whose request signals would close
    the database connection at the end of each request (and with it the test's
    transaction, on PostgreSQL); Django's own test client disconnects them the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(world, same_connection):
    return {role: Token.objects.create(user=getattr(world, role)).key for role in ROLES}


@schema.parametrize()
@schema.given(role=st.sampled_from(ROLES))
@hypothesis_settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True,
                     suppress_health_check=list(HealthCheck), database=None)
def test_it_answers_every_operation_within_its_schema(case, role, tokens):
    case.call_and_validate(headers={"Authorization": f"Token {tokens[role]}"}, checks=CHECKS)


@pytest.mark.parametrize("role", ROLES)
def test_it_keeps_to_the_schema_along_the_links_between_operations(role, tokens):
    """Stateful: a referral or handover created in one step is read, submitted, updated or
    revoked in the next, following the schema's links, as each role."""
    links = [
        link
        for methods in schema.raw_schema["paths"].values()
        for operation in methods.values()
        for response in operation["responses"].values()
        for link in response.get("links", {}).values()
    ]
    assert len(links) >= 7

    class Machine(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": {"Authorization": f"Token {tokens[role]}"}}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS)

    Machine.run(settings=hypothesis_settings(
        max_examples=STATEFUL_EXAMPLES, stateful_step_count=6, deadline=None, derandomize=True,
        suppress_health_check=list(HealthCheck), database=None))
