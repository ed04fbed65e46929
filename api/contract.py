"""What the OpenAPI document says beyond each view's schemas, so that a client generated from it alone works.

Per operation, declared where the view is: the headers it takes and sends (`If-Match`, `If-None-Match`,
`ETag`) and the error answers particular to it (`requires_if_match`, `errors`). For every operation,
added here once: an operationId, 404 on paths with a record id, the `Error` body on every error
answer, `Idempotent-Replayed` on the success of a retry-safe POST, and `X-Pagination` as what it is
(a JSON text in a header).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from copy import deepcopy
from typing import Any

import marshmallow as ma
from apispec import APISpec, BasePlugin

ERROR_REF = {"$ref": "#/components/schemas/Error"}
STRING = {"type": "string"}

ETAG = {"ETag": {"description": "The record's version (a quoted strong ETag): send it as If-Match to change "
                                "the record, or as If-None-Match to read it again only if it changed.",
                 "schema": STRING, "required": True}}
IF_MATCH = {"in": "header", "name": "If-Match", "required": True, "schema": STRING,
            "description": "The ETag you read (GET answers and each listed meeting's `etag`). Required: a "
                           "stale one answers 412 rather than overwrite someone's change; none answers 428."}
IF_NONE_MATCH = {"in": "header", "name": "If-None-Match", "required": False, "schema": STRING,
                 "description": "The ETag of the copy you hold (weak `W/` tags match too): 304 if unchanged."}

RESPONSE_DESCRIPTIONS = {
    400: "Malformed request (not JSON, a bad header)",
    404: "No such record, or it is not yours (another rep's record reads exactly as a missing one)",
    409: "Conflicts with the record's state or with another record; `message` says what to do",
    410: "Gone",
    412: "If-Match is stale: someone changed the record since you read it. The answer carries the current "
         "`ETag` (also in `current_etag`): reload, reapply your change and send it again",
    413: "The body is too large",
    415: "Unsupported media type",
    422: "Invalid input: `errors` maps each field to what to fix",
    428: "If-Match is missing: read the record first and send its ETag in If-Match",
}
_ID_SEGMENT = re.compile(r"\{[a-z_]*id\}|\{key\}")
_IDEMPOTENCY = "Idempotency-Key"


def _manual_doc(view: Callable[..., Any], update: Callable[[dict[str, Any]], None]) -> Callable[..., Any]:
    apidoc = deepcopy(getattr(view, "_apidoc", {}))
    update(apidoc.setdefault("manual_doc", {}))
    view._apidoc = apidoc  # type: ignore[attr-defined]
    return view


def errors(*codes: int, **described: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Document the error answers a view gives besides the usual ones: @errors(409, 412) or @errors(e409="...")."""
    wanted = {code: RESPONSE_DESCRIPTIONS.get(code, "Error") for code in codes}
    wanted.update({int(key.removeprefix("e")): text for key, text in described.items()})

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        def update(manual: dict[str, Any]) -> None:
            responses = manual.setdefault("responses", {})
            for code, text in wanted.items():
                responses[code] = {"description": text, "content": {"application/json": {"schema": ERROR_REF}}}

        return _manual_doc(view, update)

    return decorator


def requires_if_match(view: Callable[..., Any]) -> Callable[..., Any]:
    """Document a change to a shared record: If-Match required, 412 (with the current ETag) and 428."""

    def update(manual: dict[str, Any]) -> None:
        manual.setdefault("parameters", []).append(IF_MATCH)
        responses = manual.setdefault("responses", {})
        responses[412] = {"description": RESPONSE_DESCRIPTIONS[412], "headers": ETAG,
                          "content": {"application/json": {"schema": ERROR_REF}}}
        responses[428] = {"description": RESPONSE_DESCRIPTIONS[428],
                          "content": {"application/json": {"schema": ERROR_REF}}}

    return _manual_doc(view, update)


def takes_if_none_match(view: Callable[..., Any]) -> Callable[..., Any]:
    return _manual_doc(view, lambda manual: manual.setdefault("parameters", []).append(IF_NONE_MATCH))


def _operation_id(endpoint: str, method: str) -> str:
    view = endpoint.rsplit(".", 1)[-1]
    if "_" in view or view.islower():  # a function view: create_task -> createTask
        head, *rest = view.split("_")
        return head + "".join(part.title() for part in rest)
    return method + view  # a MethodView: MeetingItem.get -> getMeetingItem


class ContractPlugin(BasePlugin):
    """Completes each operation as it is registered (see the module's docstring)."""

    def init_spec(self, spec: APISpec) -> None:
        self.spec = spec

    def operation_helper(self, path: str | None = None, operations: dict | None = None, **kwargs: Any) -> None:
        rule = kwargs.get("rule")
        for method, operation in (operations or {}).items():
            if rule is not None:
                operation.setdefault("operationId", _operation_id(rule.endpoint, method))
            responses = operation.setdefault("responses", {})

            def document(code: int, description: str, responses: dict = responses) -> None:
                if code not in responses and str(code) not in responses:
                    responses[code] = {"description": description}

            if path and _ID_SEGMENT.search(path):
                document(404, RESPONSE_DESCRIPTIONS[404])
            retry_safe = any(isinstance(p, dict) and p.get("name") == _IDEMPOTENCY
                             for p in operation.get("parameters", []))
            if retry_safe:
                document(409, "A request with this Idempotency-Key is still running (retry in a moment), "
                              "or the change conflicts with the record's state")
                document(422, RESPONSE_DESCRIPTIONS[422] + "; or the Idempotency-Key was used for another request")
            if retry_safe or "requestBody" in operation:
                document(400, "Malformed request: a body that is not JSON, or an Idempotency-Key over 255 characters")
            for code, response in list(responses.items()):
                status = int(code) if str(code).isdigit() else 0
                if not isinstance(response, dict):
                    continue
                if status >= 400 and "content" not in response:
                    response["content"] = {"application/json": {"schema": ERROR_REF}}
                if retry_safe and 200 <= status < 300:
                    response.setdefault("headers", {})["Idempotent-Replayed"] = {
                        "description": "`true` when this is the stored answer to an earlier request with the "
                                       "same Idempotency-Key (nothing was done again)",
                        "schema": {"type": "string", "enum": ["true"]}}


def enum_type(_converter: Any, field: ma.fields.Field, ret: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
    """An Enum field's values carry no type for apispec; generated clients need one (a string enum)."""
    if isinstance(field, ma.fields.Enum) and "type" not in ret:
        values = [member.value if field.by_value else member.name for member in field.enum]
        if all(isinstance(value, str) for value in values):
            return {"type": "string"}
    return {}


def finish_components(spec: APISpec) -> None:
    """X-Pagination is a JSON text in a header: say so, rather than call the header an object."""
    for headers in (spec.components.headers, spec.components.headers_lazy):
        header = headers.get("PAGINATION")
        if header is None:
            continue
        headers["PAGINATION"] = {
            "description": "The page as JSON text: {\"total\", \"total_pages\", \"first_page\", \"last_page\", "
                           "\"page\", \"previous_page\"?, \"next_page\"?}; ask for the next page with ?page= "
                           "(or follow the Link header). Every list pages this way: ?page_size= defaults to 50, at "
                           "most 200 (422 above)",
            "schema": STRING,
        }
