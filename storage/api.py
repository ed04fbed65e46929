"""Signed download/upload URLs for the local-file object store (S3 serves its own)."""

from __future__ import annotations

from flask import current_app, request, send_file
from flask_smorest import Blueprint

from api.context import object_store
from errors import Forbidden, NotFound, PayloadTooLarge
from storage.objects import LocalObjectStore, ObjectNotFound

blp = Blueprint(
    "objects", __name__, url_prefix="/api/v1/objects",
    description="Time-limited links to stored files (local storage backend only)",
)


def _store() -> LocalObjectStore:
    store = object_store()
    if not isinstance(store, LocalObjectStore):
        raise NotFound("Objects are served by the S3 store, not by this server.")
    return store


def _verify(store: LocalObjectStore, action: str, key: str) -> None:
    try:
        expires = int(request.args.get("expires", "0"))
    except ValueError:
        expires = 0
    if not store.verify(action, key, expires, request.args.get("signature", "")):
        raise Forbidden("This link is invalid or has expired; ask for a new one.")


_SIGNED_LINK = {"403": {"description": "The link is invalid or has expired; ask the API for a new one"},
                "404": {"description": "No such object, or objects are served by S3, not this server"}}


@blp.route("/<path:key>", methods=["GET"])
@blp.doc(security=[], description="Download a stored file through a signed link handed out by the API.",
         responses={"200": {"description": "The file", "content": {"*/*": {"schema": {"type": "string",
                                                                                      "format": "binary"}}}},
                    **_SIGNED_LINK})
def download(key: str):
    store = _store()
    _verify(store, "get", key)
    try:
        return send_file(store.open(key), download_name=key.rsplit("/", 1)[-1], max_age=0)
    except (ObjectNotFound, ValueError):
        raise NotFound("No such object.") from None


@blp.route("/<path:key>", methods=["PUT"])
@blp.doc(security=[], description="Upload a file through a signed link handed out by the API.",
         requestBody={"required": True, "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}},
         responses={"204": {"description": "Stored"}, "413": {"description": "The file is too large"},
                    **_SIGNED_LINK})
def upload(key: str):
    store = _store()
    _verify(store, "put", key)
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length and request.content_length > limit:
        raise PayloadTooLarge(f"The file is larger than {limit // (1024 * 1024)} MB.")
    store.put(key, request.stream)
    return "", 204
