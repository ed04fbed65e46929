from __future__ import annotations

import io
import time
import urllib.request

import pytest

from services import services_of
from storage.objects import LocalObjectStore, ObjectNotFound, S3ObjectStore, new_object_key
from tests.support.servers import moto_s3_server


@pytest.fixture(scope="module")
def s3_endpoint():
    with moto_s3_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3_store(s3_endpoint):
    store = S3ObjectStore(
        "fieldrep-test", prefix="env-a", endpoint_url=s3_endpoint, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )
    store.ensure_bucket()
    return store


def test_keys_are_made_by_the_server_and_paths_are_refused():
    key = new_object_key("recordings", ".OGG")
    assert key.startswith("recordings/") and key.endswith(".ogg")
    store = LocalObjectStore(__import__("pathlib").Path("/tmp/fieldrep-test-objects"), "secret")
    for bad in ("../etc/passwd", "/abs/path", "a/../../b", ""):
        with pytest.raises(ValueError):
            store.put(bad, io.BytesIO(b"x"))


def test_local_store_round_trip_and_signed_links(tmp_path):
    store = LocalObjectStore(tmp_path, "secret")
    store.put("recordings/a.wav", io.BytesIO(b"RIFF audio"))
    assert store.exists("recordings/a.wav") and store.size("recordings/a.wav") == 10
    assert store.open("recordings/a.wav").read() == b"RIFF audio"
    url = store.download_url("recordings/a.wav", 60)
    query = dict(part.split("=") for part in url.split("?")[1].split("&"))
    assert store.verify("get", "recordings/a.wav", int(query["expires"]), query["signature"])
    assert not store.verify("get", "recordings/other.wav", int(query["expires"]), query["signature"])
    assert not store.verify("put", "recordings/a.wav", int(query["expires"]), query["signature"])
    assert not store.verify("get", "recordings/a.wav", int(time.time()) - 1,
                            store.sign("get", "recordings/a.wav", int(time.time()) - 1))
    with pytest.raises(ObjectNotFound):
        store.open("recordings/missing.wav")


def test_local_signed_links_work_through_the_api(client, app):
    store = services_of(app).objects
    upload = store.upload_url("uploads/9/x.ogg", 60)
    path = upload.url.split("?")[0]
    query = upload.url.split("?")[1]
    put = client.put(f"{path}?{query}", data=b"hello audio")
    assert put.status_code == 204
    download = client.get(store.download_url("uploads/9/x.ogg", 60))
    assert download.status_code == 200 and download.data == b"hello audio"
    tampered = client.get(store.download_url("uploads/9/x.ogg", 60).replace("x.ogg", "y.ogg"))
    assert tampered.status_code == 403


@pytest.mark.slow  # moto's S3 server
def test_s3_store_round_trip(s3_store):
    s3_store.put("recordings/2026/11/call.ogg", io.BytesIO(b"OggS data"), "audio/ogg")
    assert s3_store.exists("recordings/2026/11/call.ogg")
    assert s3_store.size("recordings/2026/11/call.ogg") == 9
    assert s3_store.open("recordings/2026/11/call.ogg").read() == b"OggS data"
    head = s3_store.client.head_object(Bucket="fieldrep-test", Key="env-a/recordings/2026/11/call.ogg")
    assert head["ContentType"] == "audio/ogg", "keys live under the configured prefix"
    assert not s3_store.exists("recordings/none.ogg")
    with pytest.raises(ObjectNotFound):
        s3_store.size("recordings/none.ogg")


@pytest.mark.slow  # moto's S3 server
def test_s3_presigned_upload_with_plain_http_then_read_back(s3_store, tmp_path):
    upload = s3_store.upload_url("uploads/1/phone.m4a", 300, "audio/mp4")
    request = urllib.request.Request(upload.url, data=b"m4a bytes from a phone", method="PUT", headers=upload.headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    assert s3_store.open("uploads/1/phone.m4a").read() == b"m4a bytes from a phone"
    with urllib.request.urlopen(s3_store.download_url("uploads/1/phone.m4a", 60), timeout=10) as response:
        assert response.read() == b"m4a bytes from a phone"
    local = s3_store.fetch_to_file("uploads/1/phone.m4a", tmp_path)
    assert local.read_bytes() == b"m4a bytes from a phone"


@pytest.mark.slow  # moto's S3 server
def test_s3_links_carry_the_configured_lifetime(s3_store):
    # moto does not enforce expiry, so check what S3 itself enforces: the signed X-Amz-Expires.
    s3_store.put("recordings/short.ogg", io.BytesIO(b"x"))
    assert "X-Amz-Expires=900" in s3_store.download_url("recordings/short.ogg", 900)
    assert "X-Amz-Expires=120" in s3_store.upload_url("uploads/1/a.ogg", 120).url
