from __future__ import annotations

import copy

import pytest
import yaml

from compliance.scripts import default_script_body, load_script, parse_script_text
from errors import Invalid

SPEC_EXAMPLE = """
{"name": "reminder-call", "version": 3, "language": "ru",
 "criteria": [
   {"id": "greeting", "kind": "required", "speaker": "rep", "within_seconds": 30,
    "phrases": {"ru": ["здравствуйте меня зовут", "я представитель банка"], "en": ["hello my name is"]}},
   {"id": "passport_reminder", "kind": "required", "speaker": "rep",
    "phrases": {"ru": ["не забудьте паспорт", "понадобится паспорт"], "en": ["bring your passport"]}},
   {"id": "forced_location", "kind": "forbidden", "speaker": "rep",
    "phrases": {"ru": ["мне так удобнее"], "en": ["more convenient for me"]}}],
 "language_rule": {"default": "ru",
   "switch_allowed_if_client_says": {"en": ["i do not understand russian"], "ru": ["не понимаю по-русски"]}}}
"""


def test_the_spec_example_loads():
    script = load_script(parse_script_text(SPEC_EXAMPLE))
    assert script.version == 3
    assert [c.id for c in script.criteria] == ["greeting", "passport_reminder", "forced_location"]
    assert script.criteria[0].within_seconds == 30 and script.criteria[2].kind == "forbidden"
    assert script.language_rule.switch_allowed_if_client_says["ru"] == ("не понимаю по-русски",)


def test_yaml_is_the_same_script():
    as_yaml = yaml.safe_dump(parse_script_text(SPEC_EXAMPLE), allow_unicode=True)
    assert load_script(parse_script_text(as_yaml)) == load_script(parse_script_text(SPEC_EXAMPLE))


def test_errors_point_at_the_bad_field():
    body = copy.deepcopy(default_script_body())
    body["criteria"][1]["kind"] = "mandatory"
    body["criteria"][2]["threshold"] = 140
    body["criteria"][3]["phrases"] = {"ru": []}
    del body["version"]
    with pytest.raises(Invalid) as error:
        load_script(body)
    assert set(error.value.errors) == {
        "version", "criteria[1].kind", "criteria[2].threshold", "criteria[3].phrases.ru.value"
    } or {"version", "criteria[1].kind", "criteria[2].threshold"} <= set(error.value.errors)
    assert "criteria[1].kind" in error.value.message


def test_duplicate_and_reserved_ids_are_refused():
    body = copy.deepcopy(default_script_body())
    body["criteria"][1]["id"] = "greeting"
    with pytest.raises(Invalid) as error:
        load_script(body)
    assert "criteria[1].id" in error.value.errors
    body = copy.deepcopy(default_script_body())
    body["criteria"][0]["id"] = "wrong_language"
    with pytest.raises(Invalid) as error:
        load_script(body)
    assert "criteria[0].id" in error.value.errors


def test_unknown_fields_and_broken_text_are_refused_with_a_reason():
    body = copy.deepcopy(default_script_body())
    body["criterias"] = []
    with pytest.raises(Invalid) as error:
        load_script(body)
    assert "criterias" in error.value.errors
    with pytest.raises(Invalid) as error:
        parse_script_text("name: [unclosed")
    assert "neither valid JSON nor valid YAML" in error.value.message
    with pytest.raises(Invalid):
        parse_script_text("[1, 2]")
