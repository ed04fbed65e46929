"""One paging scheme for every list: `?page=` (from 1) and `?page_size=` (default 50, at most 200), the total and
page numbers in the `X-Pagination` header (JSON text), and `Link` (RFC 8288: first, prev, next, last). Pages of a
SQLAlchemy select for flask-smorest's `@blp.paginate(SelectPage)`; a plain list pages with `@blp.paginate()`.

Importing this module (api/__init__ does) sets the defaults on every blueprint, before any view is decorated."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from flask import request
from flask_smorest import Blueprint, Page
from sqlalchemy import func, select

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
Blueprint.DEFAULT_PAGINATION_PARAMETERS = {"page": 1, "page_size": PAGE_SIZE, "max_page_size": MAX_PAGE_SIZE}
LINK_HEADER = {"description": "RFC 8288 links to the first, prev, next and last pages (those that exist), "
                              "relative to this URL, with the query kept", "schema": {"type": "string"}}
_set_metadata = Blueprint._set_pagination_metadata
_document_metadata = Blueprint._document_pagination_metadata


def _page_link(page: int) -> str:
    query = [(key, value) for key, value in request.args.items(multi=True) if key != "page"]
    return f"{request.path}?{urlencode([*query, ('page', page)])}"


def _set_pagination_metadata(self: Blueprint, page_params: Any, result: Any, headers: Any) -> Any:
    result, headers = _set_metadata(self, page_params, result, headers)
    metadata = json.loads(headers[self.PAGINATION_HEADER_NAME])
    links = [f'<{_page_link(metadata[key])}>; rel="{rel}"' for rel, key in (
        ("first", "first_page"), ("prev", "previous_page"), ("next", "next_page"), ("last", "last_page"))
        if key in metadata]
    if links:
        headers["Link"] = ", ".join(links)
    return result, headers


def _document_pagination_metadata(self: Blueprint, spec: Any, resp_doc: dict[str, Any]) -> None:
    _document_metadata(self, spec, resp_doc)
    resp_doc.setdefault("headers", {})["Link"] = LINK_HEADER


Blueprint._set_pagination_metadata = _set_pagination_metadata
Blueprint._document_pagination_metadata = _document_pagination_metadata


def db_session() -> Any:
    from api.context import db_session as session

    return session()


class SelectPage(Page):
    @property
    def item_count(self) -> int:
        return db_session().scalar(select(func.count()).select_from(self.collection.order_by(None).subquery())) or 0

    @property
    def items(self) -> list:
        params = self.page_params
        if params.first_item >= params.item_count:
            return []  # past the last page (also keeps absurd page numbers away from the database)
        return list(db_session().scalars(self.collection.offset(params.first_item).limit(params.page_size)).unique())
