"""The "changes since" token: opaque, good only for the user (and rep filter) it was issued to, and
every token that cannot be served answers 410 (the app's one recovery path: reload in full)."""

from __future__ import annotations

import pytest

from errors import Gone
from routes.sync_tokens import SyncTokens

CHANGES = "/api/v1/meetings/changes"


def test_a_token_opens_only_for_its_scope():
    tokens = SyncTokens("secret-one-long-enough")
    token = tokens.seal(SyncTokens.scope(4, None), 1234)
    assert "1234" not in token and tokens.open(SyncTokens.scope(4, None), token) == 1234
    for scope in (SyncTokens.scope(5, None), SyncTokens.scope(4, 7)):
        with pytest.raises(Gone):
            tokens.open(scope, token)
    with pytest.raises(Gone):
        SyncTokens("another-secret-key-long").open(SyncTokens.scope(4, None), token)


def test_the_token_tells_a_rep_nothing_of_other_reps_changes(client, login):
    token = client.get(CHANGES, headers=login("rep1")).json["token"]
    assert not token.startswith("v1.") and not token.isdigit()
    for _ in range(3):  # others' activity does not show in a fresh token's shape
        assert len(client.get(CHANGES, headers=login("rep1")).json["token"]) == len(token)


@pytest.mark.parametrize("since", ["v1.-5", "v1.0", "v1.99999999", "garbage", "", "gAAAAA" + "x" * 200, "a" * 3000])
def test_unusable_tokens_are_410(client, login, since):
    answer = client.get(CHANGES, headers=login("rep1"), query_string={"since": since})
    assert answer.status_code == 410, answer.json
    assert "reload in full" in answer.json["message"]


def test_another_users_token_is_410(client, login):
    rep1_token = client.get(CHANGES, headers=login("rep1")).json["token"]
    assert client.get(CHANGES, headers=login("rep1"), query_string={"since": rep1_token}).status_code == 200
    answer = client.get(CHANGES, headers=login("rep2"), query_string={"since": rep1_token})
    assert answer.status_code == 410


def test_a_staff_token_is_bound_to_its_rep_filter(client, login):
    manager = login("manager")
    for_rep1 = client.get(CHANGES, headers=manager, query_string={"rep_id": 4}).json["token"]
    assert client.get(CHANGES, headers=manager, query_string={"rep_id": 4, "since": for_rep1}).status_code == 200
    assert client.get(CHANGES, headers=manager, query_string={"rep_id": 5, "since": for_rep1}).status_code == 410
    assert client.get(CHANGES, headers=manager, query_string={"since": for_rep1}).status_code == 410
