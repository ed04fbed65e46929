"""Every answer the test client gets, checked against the app's own OpenAPI document.

A mobile team generates its client from `/api/openapi.json` alone, so the document must tell the
truth: the status code is one the operation lists, the JSON body has the documented shape (nullable
where it may be null, no undocumented keys), and the API's own headers are documented.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from openapi_schema_validator import OAS30ReadValidator
from werkzeug.exceptions import HTTPException

# Headers the app sets on purpose; one present on an answer must be documented on that answer.
API_HEADERS = ("ETag", "Idempotent-Replayed", "X-Pagination", "Location")
_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


class ContractBroken(AssertionError):
    pass


class Contract:
    def __init__(self, app: Flask):
        self.app = app
        self._spec: dict[str, Any] | None = None
        self.checked = 0

    @property
    def spec(self) -> dict[str, Any]:
        if self._spec is None:
            plain = FlaskClient(self.app, self.app.response_class)  # not a checking client: no recursion
            self._spec = plain.get("/api/openapi.json").get_json()
        return self._spec

    def operation_for(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        adapter = self.app.url_map.bind("localhost")
        try:
            endpoint, _args = adapter.match(path, method=method)
        except HTTPException:
            return None  # unknown path or method: answered by the generic 404/405 handlers
        rule = next(self.app.url_map.iter_rules(endpoint))
        openapi_path = _CONVERTER.sub(r"{\1}", rule.rule)
        operation = self.spec["paths"].get(openapi_path, {}).get(method.lower())
        return (f"{method} {openapi_path}", operation) if operation else None

    def problems(self, method: str, path: str, status: int, headers: Any, body: bytes) -> list[str]:
        found = self.operation_for(method, path)
        if found is None:
            return []
        name, operation = found
        self.checked += 1
        documented = operation["responses"].get(str(status))
        if documented is None and status == 500 and "default" in operation["responses"]:
            return []  # a crash is never a documented outcome; tests that provoke one check it themselves
        if documented is None:
            return [f"{name} answered {status}, which it does not document "
                    f"(documented: {', '.join(sorted(operation['responses']))})"]
        documented = self._resolve(documented)
        problems = []
        declared = {header.lower() for header in documented.get("headers", {})}
        for header in API_HEADERS:
            if header in headers and header.lower() not in declared:
                problems.append(f"{name} {status}: header {header} is sent but not documented")
        for header, spec in documented.get("headers", {}).items():
            if self._resolve(spec).get("required") and header not in headers:
                problems.append(f"{name} {status}: required header {header} is missing")
        content = documented.get("content")
        if not content:
            if body.strip():
                problems.append(f"{name} {status}: a body is sent but none is documented")
            return problems
        media = headers.get("Content-Type", "").split(";")[0].strip()
        if media not in content and "*/*" not in content:
            problems.append(f"{name} {status}: Content-Type {media!r} is not documented ({', '.join(content)})")
            return problems
        schema = content.get(media, content.get("*/*", {})).get("schema")
        if schema is None or media != "application/json":
            return problems
        instance = json.loads(body)
        validator = OAS30ReadValidator({**schema, "components": self.spec.get("components", {})})
        for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))[:5]:
            where = "/".join(map(str, error.absolute_path)) or "(body)"
            problems.append(f"{name} {status}: {where}: {error.message[:300]}")
        return problems

    def _resolve(self, item: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in item:
            node: Any = self.spec
            for part in item["$ref"].removeprefix("#/").split("/"):
                node = node[part]
            item = node
        return item


class ContractCheckingClient(FlaskClient):
    """A test client that fails the test on an answer its OpenAPI document does not describe."""

    contract: Contract

    def open(self, *args: Any, **kwargs: Any):
        response = super().open(*args, **kwargs)
        request = response.request
        problems = self.contract.problems(request.method, request.path, response.status_code, response.headers,
                                          response.get_data())
        if problems:
            raise ContractBroken("The answer breaks the OpenAPI document:\n  " + "\n  ".join(problems))
        return response


def check_every_answer(app: Flask) -> Contract:
    contract = Contract(app)
    client_class = type("ContractClient", (ContractCheckingClient,), {"contract": contract})
    app.test_client_class = client_class
    return contract
