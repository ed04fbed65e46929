"""Object storage behind one small interface: local files (default) or S3 via boto3.

Keys are always made by the server (uuid, sorted by prefix); a client never chooses a path.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO, Protocol
from urllib.parse import urlencode

from errors import Invalid
from settings import Settings


class ObjectNotFound(LookupError):
    pass


@dataclass(frozen=True)
class PresignedUpload:
    url: str
    method: str
    headers: dict[str, str]
    key: str
    expires_in: int


class ObjectStore(Protocol):
    def put(self, key: str, stream: IO[bytes], content_type: str | None = None) -> None: ...
    def open(self, key: str) -> BinaryIO: ...
    def exists(self, key: str) -> bool: ...
    def size(self, key: str) -> int: ...
    def delete(self, key: str) -> None: ...
    def download_url(self, key: str, expires_in: int) -> str: ...
    def upload_url(self, key: str, expires_in: int, content_type: str | None = None) -> PresignedUpload: ...
    def fetch_to_file(self, key: str, directory: Path) -> Path: ...


def new_object_key(prefix: str, suffix: str = "", retry_seed: str | None = None) -> str:
    """A server-chosen key: `<prefix>/<yyyy>/<mm>/<uuid><suffix>`.

    With `retry_seed` (the caller and its Idempotency-Key) a retried request writes the same object
    again instead of leaving the first attempt's copy behind when that attempt died before its commit.
    """
    safe_suffix = "".join(ch for ch in suffix.lower() if ch.isalnum() or ch == ".")[:10]
    name = uuid.uuid5(uuid.NAMESPACE_URL, f"fieldrep:{prefix}:{retry_seed}") if retry_seed else uuid.uuid4()
    return f"{prefix}/{time.strftime('%Y/%m')}/{name.hex}{safe_suffix}"


class InvalidObjectKey(Invalid, ValueError):
    """A key the server never makes (a path step such as `..`, a backslash, a control character):
    refused before it reaches a file path or a bucket, as the client's error (422), not a crash."""


# What new_object_key makes: `/`-separated segments of letters, digits, `.`, `_` and `-`, none
# starting with a dot (so no `.` or `..` step, no hidden file), no empty segment.
_KEY = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}(?:/[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}){0,15}")
MAX_KEY_LENGTH = 255


def _check_key(key: str) -> str:
    if len(key) > MAX_KEY_LENGTH or not _KEY.fullmatch(key):
        raise InvalidObjectKey("That object key was not made by this service; use the `object_key` an upload "
                               "URL answer gave you, unchanged.",
                               errors={"object_key": ["Not a key this service made."]})
    return key


class LocalObjectStore:
    """Files under a folder; download/upload URLs are signed with the app's secret and served by the app."""

    def __init__(self, root: Path, secret: str, url_base: str = "/api/v1/objects"):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._secret = secret.encode()
        self.url_base = url_base

    def _path(self, key: str) -> Path:
        return self.root / _check_key(key)

    def put(self, key: str, stream: IO[bytes], content_type: str | None = None) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, and fsync, so an accepted object survives a crash right after the answer.
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
            shutil.copyfileobj(stream, tmp)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp.name, target)

    def open(self, key: str) -> BinaryIO:
        try:
            return open(self._path(key), "rb")
        except FileNotFoundError as exc:
            raise ObjectNotFound(key) from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError as exc:
            raise ObjectNotFound(key) from exc

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def sign(self, action: str, key: str, expires_at: int) -> str:
        message = f"{action}\n{key}\n{expires_at}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def verify(self, action: str, key: str, expires_at: int, signature: str) -> bool:
        if expires_at < time.time():
            return False
        return hmac.compare_digest(self.sign(action, key, expires_at), signature)

    def _signed_url(self, action: str, key: str, expires_in: int) -> str:
        expires_at = int(time.time()) + expires_in
        query = urlencode({"expires": expires_at, "signature": self.sign(action, key, expires_at)})
        return f"{self.url_base}/{_check_key(key)}?{query}"

    def download_url(self, key: str, expires_in: int) -> str:
        return self._signed_url("get", key, expires_in)

    def upload_url(self, key: str, expires_in: int, content_type: str | None = None) -> PresignedUpload:
        headers = {"Content-Type": content_type} if content_type else {}
        return PresignedUpload(self._signed_url("put", key, expires_in), "PUT", headers, key, expires_in)

    def fetch_to_file(self, key: str, directory: Path) -> Path:
        path = self._path(key)
        if not path.is_file():
            raise ObjectNotFound(key)
        return path  # already a local file: no copy needed


class S3ObjectStore:
    def __init__(self, bucket: str, prefix: str = "", client=None, **client_options):
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client or boto3.client(
            "s3", config=Config(signature_version="s3v4", retries={"max_attempts": 5}), **client_options
        )

    def _full_key(self, key: str) -> str:
        _check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, stream: IO[bytes], content_type: str | None = None) -> None:
        extra = {"ContentType": content_type} if content_type else {}
        self.client.upload_fileobj(stream, self.bucket, self._full_key(key), ExtraArgs=extra)

    def open(self, key: str) -> BinaryIO:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._full_key(key))["Body"]
        except self.client.exceptions.NoSuchKey as exc:
            raise ObjectNotFound(key) from exc

    def _head(self, key: str) -> dict | None:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._full_key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def size(self, key: str) -> int:
        head = self._head(key)
        if head is None:
            raise ObjectNotFound(key)
        return int(head["ContentLength"])

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._full_key(key))

    def download_url(self, key: str, expires_in: int) -> str:
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": self._full_key(key)}, ExpiresIn=expires_in
        )

    def upload_url(self, key: str, expires_in: int, content_type: str | None = None) -> PresignedUpload:
        params = {"Bucket": self.bucket, "Key": self._full_key(key)}
        headers = {}
        if content_type:
            params["ContentType"] = content_type
            headers["Content-Type"] = content_type
        url = self.client.generate_presigned_url("put_object", Params=params, ExpiresIn=expires_in)
        return PresignedUpload(url, "PUT", headers, key, expires_in)

    def fetch_to_file(self, key: str, directory: Path) -> Path:
        target = Path(directory) / Path(key).name
        try:
            self.client.download_file(self.bucket, self._full_key(key), str(target))
        except Exception as exc:
            if not self.exists(key):
                raise ObjectNotFound(key) from exc
            raise
        return target

    def ensure_bucket(self) -> None:
        if not self._bucket_exists():
            self.client.create_bucket(Bucket=self.bucket)

    def _bucket_exists(self) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
            return True
        except ClientError:
            return False


def make_object_store(settings: Settings, secret: str) -> ObjectStore:
    if settings.storage_backend == "local":
        return LocalObjectStore(settings.objects_path, secret)
    if settings.storage_backend == "s3":
        options = {"region_name": settings.s3_region}
        if settings.s3_endpoint_url:
            options["endpoint_url"] = settings.s3_endpoint_url
        if settings.s3_access_key_id:
            options["aws_access_key_id"] = settings.s3_access_key_id
            options["aws_secret_access_key"] = settings.s3_secret_access_key
        return S3ObjectStore(settings.s3_bucket, settings.s3_prefix, **options)
    raise ValueError(f"FIELDREP_STORAGE_BACKEND must be 'local' or 's3', not {settings.storage_backend!r}")
