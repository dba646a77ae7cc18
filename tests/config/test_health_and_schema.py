from unittest import mock

import pytest


def test_it_reports_healthy_with_in_process_tasks(db, client, settings):
    settings.REDIS_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "in-process"}


def test_it_reports_503_when_the_broker_is_unreachable(db, client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"].startswith("error")
    assert response.json()["database"] == "ok"


def test_it_reports_503_when_the_database_fails(db, client, settings):
    settings.REDIS_URL = ""
    with mock.patch("config.health.connection.cursor", side_effect=RuntimeError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "error: RuntimeError"


def test_it_serves_the_openapi_schema_with_the_referral_operations(db, client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/referrals/", "/api/v1/referrals/{reference}/", "/api/v1/referrals/mine/",
            "/api/v1/auth/token/", "/api/v1/notifications/"} <= set(paths)
    assert "post" in paths["/api/v1/referrals/"]


@pytest.mark.parametrize("path", ["/api/docs/"])
def test_it_serves_the_api_docs_from_local_assets_only(db, client, path):
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower() and "https://" not in html


def test_it_generates_a_valid_schema_without_warnings_with_every_error_answer(db, tmp_path):
    import json

    from django.core.management import call_command

    target = tmp_path / "schema.json"
    call_command("spectacular", "--fail-on-warn", "--validate", "--format", "openapi-json",
                 "--file", str(target))
    schema = json.loads(target.read_text())
    operations = [(path, method, op) for path, methods in schema["paths"].items()
                  for method, op in methods.items()]
    assert len({op["operationId"] for _p, _m, op in operations}) == len(operations)
    for path, method, operation in operations:
        assert {"400", "403", "404", "429"} <= set(operation["responses"]), (method, path)
        for code, response in operation["responses"].items():
            if code.startswith("4"):
                assert "application/json" in response["content"], (method, path, code)


@pytest.mark.parametrize("query", ["status=", "queue=", "outcome=&action=referral.read", "cursor=%20"])
def test_it_refuses_an_api_query_parameter_given_without_a_value(world, api, query):
    response = api(world.coordinator).get(f"/api/v1/referrals/?{query}")
    assert response.status_code == 400
    name = query.split("=")[0]
    assert list(response.json()) == [name] and response.json()[name][0]


def test_it_reads_an_empty_filter_on_the_queue_page_as_any(world, client):
    client.force_login(world.coordinator)
    assert client.get("/referrals/queue/?status=&category=").status_code == 200
