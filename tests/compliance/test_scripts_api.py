from __future__ import annotations

import copy

import yaml

from compliance.scripts import default_script_body


def test_managers_add_versions_and_the_one_in_force_applies_by_date(client, login):
    manager = login("manager")
    body = copy.deepcopy(default_script_body())
    body["version"] = 2
    body["criteria"][2]["phrases"]["ru"].append("паспорт обязательно")
    created = client.post("/api/v1/scripts", headers=manager, json={"effective_from": "2030-01-01", "body": body})
    assert created.status_code == 201, created.json
    now = client.get("/api/v1/scripts?on=2026-11-25", headers=login("rep1")).json
    later = client.get("/api/v1/scripts?on=2030-06-01", headers=login("qa")).json
    assert [s["version"] for s in now] == [1] and [s["version"] for s in later] == [2]
    assert client.get("/api/v1/scripts?on=2001-01-01", headers=manager).status_code == 404


def test_yaml_scripts_and_version_order(client, login):
    manager = login("manager")
    body = copy.deepcopy(default_script_body())
    body["version"] = 5
    created = client.post("/api/v1/scripts", headers=manager,
                          json={"effective_from": "2031-01-01", "body_yaml": yaml.safe_dump(body, allow_unicode=True)})
    assert created.status_code == 201 and created.json["version"] == 5
    body["version"] = 4
    stale = client.post("/api/v1/scripts", headers=manager, json={"effective_from": "2032-01-01", "body": body})
    assert stale.status_code == 409 and "version" in stale.json["errors"]


def test_invalid_scripts_name_the_bad_field(client, login):
    body = copy.deepcopy(default_script_body())
    body["version"] = 9
    body["criteria"][1]["speaker"] = "robot"
    response = client.post("/api/v1/scripts", headers=login("manager"),
                           json={"effective_from": "2030-01-01", "body": body})
    assert response.status_code == 422
    assert "criteria[1].speaker" in response.json["errors"]
    neither = client.post("/api/v1/scripts", headers=login("manager"), json={"effective_from": "2030-01-01"})
    assert neither.status_code == 422


def test_only_managers_edit_scripts(client, login):
    response = client.post("/api/v1/scripts", headers=login("qa"),
                           json={"effective_from": "2030-01-01", "body": default_script_body()})
    assert response.status_code == 403
