from __future__ import annotations

import re

ERROR_KEYS = {"status", "code", "message"}


def test_unknown_path_is_404_in_the_error_shape(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert set(response.json) >= ERROR_KEYS and response.json["code"] == "not_found"


def test_wrong_method_is_405_with_allow_header(client):
    response = client.delete("/api/v1/auth/login")
    assert response.status_code == 405
    assert response.json["code"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]


def test_broken_json_is_400_saying_so(client):
    response = client.post("/api/v1/auth/login", data="{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.json["message"] == "The request body is not valid JSON."


def test_missing_fields_are_422_with_per_field_errors(client):
    response = client.post("/api/v1/auth/login", json={"username": "rep1"})
    assert response.status_code == 422
    assert response.json["code"] == "validation_error"
    assert response.json["errors"] == {"password": ["Missing data for required field."]}
    assert "password" in response.json["message"]


def test_body_over_the_limit_is_413(app, client, login):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post(
        "/api/v1/recordings", headers=login("rep1"),
        data={"meeting_id": "1", "file": (__import__("io").BytesIO(b"0" * (limit + 1)), "big.wav")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert response.json["code"] == "request_entity_too_large"


def test_unexpected_errors_are_500_without_details(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = client.get("/boom")
    assert response.status_code == 500
    assert response.json == {"status": 500, "code": "internal_server_error",
                              "message": "Internal server error; the incident was logged."}


def test_openapi_document_lists_the_api_with_bearer_security(client):
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/auth/login" in spec["paths"] and "/api/v1/recordings" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    users = spec["paths"]["/api/v1/users"]["get"]
    assert users["security"] == [{"bearerAuth": []}]
    assert "403" in users["responses"]
    upload = spec["paths"]["/api/v1/recordings"]["post"]
    assert any(parameter["name"] == "Idempotency-Key" for parameter in upload["parameters"])


def test_docs_ui_is_served_from_local_files_not_a_cdn(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    scripts = re.findall(r'src="([^"]+)"', html)
    assert scripts and all(src.startswith("/api/docs/static/") for src in scripts), scripts
    assert "cdn" not in html.lower()
    for src in scripts:
        assert client.get(src).status_code == 200


def test_a_json_body_of_the_wrong_type_is_422_not_500(client):
    response = client.post("/api/v1/auth/login", json=[None, None])
    assert response.status_code == 422


def test_out_of_range_numbers_and_dates_are_422_not_500(client, login):
    manager = login("manager")
    assert client.get("/api/v1/violations?rep_id=99999999999999999999", headers=manager).status_code == 422
    assert client.get("/api/v1/meetings?day=9999-12-31", headers=manager).status_code == 422
    assert client.get("/api/v1/users/99999999999999999999", headers=manager).status_code == 404
    assert client.get("/api/v1/violations?page=99999999999999999999", headers=manager).status_code == 200
