"""Call scripts: parse and validate the JSON/YAML form, with errors that point at the bad field."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import marshmallow as ma
import yaml
from marshmallow import validate

from errors import Invalid

RESERVED_IDS = {"wrong_language"}
SPEAKERS = ("rep", "client", "any")
KINDS = ("required", "forbidden")
LANGUAGE_CODE = validate.Regexp(r"^[a-z]{2,3}$", error="Use a language code such as 'ru' or 'en'.")


@dataclass(frozen=True)
class Criterion:
    id: str
    kind: str
    phrases: dict[str, tuple[str, ...]]
    speaker: str = "rep"
    within_seconds: float | None = None
    threshold: float | None = None
    description: str = ""
    # Alternatives, each a set of concepts (the script's `concepts`) that must be said close together.
    meaning: tuple[tuple[str, ...], ...] = ()
    # Said in reviewed calls, and judged by QA not to carry the meaning (qa.teaching): kept with the script,
    # and the criterion's threshold is set above their scores.
    near_misses: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class LanguageRule:
    default: str
    switch_allowed_if_client_says: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class CallScriptSpec:
    name: str
    version: int
    language: str
    criteria: tuple[Criterion, ...]
    language_rule: LanguageRule
    # concept name -> language -> expressions ("passport": {"ru": ["паспорт", ...], "en": ["passport", "id"]})
    concepts: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)

    @property
    def languages(self) -> tuple[str, ...]:
        found = {self.language, self.language_rule.default, "en"}
        for criterion in self.criteria:
            found.update(criterion.phrases)
        for expressions in self.concepts.values():
            found.update(expressions)
        found.update(self.language_rule.switch_allowed_if_client_says)
        return tuple(sorted(found))


def _phrase_map(**kwargs) -> ma.fields.Dict:
    return ma.fields.Dict(
        keys=ma.fields.String(validate=LANGUAGE_CODE),
        values=ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=300)),
                              validate=validate.Length(min=1)),
        **kwargs,
    )


class CriterionSchema(ma.Schema):
    id = ma.fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,63}$",
                          error="Use lower-case letters, digits and underscores, starting with a letter."))
    kind = ma.fields.String(required=True, validate=validate.OneOf(KINDS))
    speaker = ma.fields.String(load_default="rep", validate=validate.OneOf(SPEAKERS))
    within_seconds = ma.fields.Float(allow_none=True, validate=validate.Range(min=0, min_inclusive=False))
    threshold = ma.fields.Float(allow_none=True, validate=validate.Range(min=0, max=100))
    description = ma.fields.String(load_default="")
    phrases = _phrase_map(required=True, validate=validate.Length(min=1))
    meaning = ma.fields.List(
        ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=64)), validate=validate.Length(min=1)),
        load_default=list,
        metadata={"description": "alternatives, each a list of concept names that must be said together"},
    )
    near_misses = _phrase_map(load_default=dict, metadata={
        "description": "per language, what was said in reviewed calls and does not carry the meaning"})

    @ma.validates("id")
    def _not_reserved(self, value: str, **_kwargs) -> None:
        if value in RESERVED_IDS:
            raise ma.ValidationError(f"'{value}' is reserved for the language rule.")


class LanguageRuleSchema(ma.Schema):
    default = ma.fields.String(required=True, validate=LANGUAGE_CODE)
    switch_allowed_if_client_says = _phrase_map(load_default=dict)


class CallScriptSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    version = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    language = ma.fields.String(required=True, validate=LANGUAGE_CODE)
    criteria = ma.fields.List(ma.fields.Nested(CriterionSchema), required=True, validate=validate.Length(min=1))
    language_rule = ma.fields.Nested(LanguageRuleSchema, load_default=None)
    concepts = ma.fields.Dict(keys=ma.fields.String(validate=validate.Length(min=1, max=64)),
                              values=_phrase_map(), load_default=dict)

    class Meta:
        unknown = ma.RAISE

    @ma.validates_schema
    def _known_concepts(self, data: dict, **_kwargs) -> None:
        from compliance.lexicon import BUILTIN_CONCEPTS

        known = set(data.get("concepts") or {}) | set(BUILTIN_CONCEPTS)
        for index, criterion in enumerate(data.get("criteria") or []):
            for alternative in criterion.get("meaning") or []:
                unknown = sorted(set(alternative) - known)
                if unknown:
                    raise ma.ValidationError({"criteria": {index: {"meaning": [
                        f"Unknown concept(s) {', '.join(unknown)}: define them under `concepts` "
                        f"(built in: {', '.join(sorted(BUILTIN_CONCEPTS))})."]}}})

    @ma.validates_schema
    def _unique_ids(self, data: dict, **_kwargs) -> None:
        seen: set[str] = set()
        for index, criterion in enumerate(data.get("criteria") or []):
            if criterion["id"] in seen:
                raise ma.ValidationError(
                    {"criteria": {index: {"id": [f"Duplicate criterion id '{criterion['id']}'."]}}})
            seen.add(criterion["id"])


def _flatten(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            if isinstance(key, int):
                path = f"{prefix}[{key}]"
            elif key == "_schema":
                path = prefix or "script"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            for sub_path, messages in _flatten(value, path).items():
                flat.setdefault(sub_path, []).extend(messages)
    elif isinstance(errors, list) and all(isinstance(item, str) for item in errors):
        flat[prefix or "script"] = list(errors)
    else:
        flat[prefix or "script"] = [str(errors)]
    return flat


def parse_script_text(text: str) -> dict:
    """JSON or YAML text to a dict; raises Invalid with the parser's position on a syntax error."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise Invalid(f"The script is neither valid JSON nor valid YAML: {exc}".replace("\n", " ")) from exc
    if not isinstance(data, dict):
        raise Invalid("A script must be a JSON/YAML object with name, version, language and criteria.")
    return data


def load_script(data: dict) -> CallScriptSpec:
    """Validate a script body and build the spec; raises Invalid with per-field messages."""
    try:
        loaded = CallScriptSchema().load(data)
    except ma.ValidationError as exc:
        errors = _flatten(exc.messages)
        raise Invalid("The script has invalid fields: " + ", ".join(sorted(errors)), errors=errors) from exc
    rule = loaded.get("language_rule") or {"default": loaded["language"], "switch_allowed_if_client_says": {}}
    return CallScriptSpec(
        name=loaded["name"],
        version=loaded["version"],
        language=loaded["language"],
        criteria=tuple(
            Criterion(
                id=item["id"],
                kind=item["kind"],
                speaker=item["speaker"],
                within_seconds=item.get("within_seconds"),
                threshold=item.get("threshold"),
                description=item.get("description", ""),
                phrases={lang: tuple(phrases) for lang, phrases in item["phrases"].items()},
                meaning=tuple(tuple(alternative) for alternative in item.get("meaning") or ()),
                near_misses={lang: tuple(texts) for lang, texts in (item.get("near_misses") or {}).items()},
            )
            for item in loaded["criteria"]
        ),
        language_rule=LanguageRule(
            default=rule["default"],
            switch_allowed_if_client_says={
                lang: tuple(phrases) for lang, phrases in (rule.get("switch_allowed_if_client_says") or {}).items()
            },
        ),
        concepts={name: {lang: tuple(items) for lang, items in by_language.items()}
                  for name, by_language in (loaded.get("concepts") or {}).items()},
    )


def load_script_file(path) -> CallScriptSpec:
    with open(path, encoding="utf-8") as handle:
        return load_script(parse_script_text(handle.read()))


def default_script_body() -> dict:
    return json.loads(resources.files("compliance").joinpath("default_script.json").read_text(encoding="utf-8"))
