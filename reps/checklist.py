"""The morning checklist: versioned questions, answer validation, and the rules a check must pass."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate

from errors import Invalid

QUESTION_TYPES = ("yes_no", "count", "rating", "text")
INSTANT_CARD_MEETINGS = "instant_card_meetings"

DEFAULT_QUESTIONS: list[dict[str, Any]] = [
    {"id": "passport", "text": "Do you have your passport with you?", "type": "yes_no", "required": True,
     "must_be": True},
    {"id": "cards_on_hand", "text": "How many non-personalised cards/documents do you have on hand?",
     "type": "count", "required": True, "min_from": INSTANT_CARD_MEETINGS},
    {"id": "route_rating", "text": "How do you rate today's route (1-5)?", "type": "rating", "required": True},
    {"id": "route_comment", "text": "Anything to add about the route?", "type": "text", "required": False},
]


class QuestionSchema(ma.Schema):
    id = ma.fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,63}$"))
    text = ma.fields.String(required=True, validate=validate.Length(min=1, max=500))
    type = ma.fields.String(required=True, validate=validate.OneOf(QUESTION_TYPES))
    required = ma.fields.Boolean(load_default=True)
    must_be = ma.fields.Boolean(metadata={"description": "yes_no: the answer the check needs"})
    min_from = ma.fields.String(
        validate=validate.OneOf([INSTANT_CARD_MEETINGS]),
        metadata={"description": "count: at least today's meetings handing over an instant card"})


class ChecklistSchema(ma.Schema):
    questions = ma.fields.List(ma.fields.Nested(QuestionSchema), required=True, validate=validate.Length(min=1, max=50))

    @ma.validates_schema
    def _unique(self, data: dict, **_kwargs) -> None:
        ids = [question["id"] for question in data.get("questions", [])]
        duplicates = sorted({qid for qid in ids if ids.count(qid) > 1})
        if duplicates:
            raise ma.ValidationError(f"Duplicate question ids: {', '.join(duplicates)}.", "questions")


def validate_answers(questions: list[dict[str, Any]], answers: dict[str, Any]) -> dict[str, Any]:
    """Answers checked against the version in force; 422 naming each bad answer."""
    errors: dict[str, list[str]] = {}
    known = {question["id"]: question for question in questions}
    for key in answers:
        if key not in known:
            errors[key] = ["Not a question of the checklist in force."]
    cleaned: dict[str, Any] = {}
    for qid, question in known.items():
        value = answers.get(qid)
        if value is None:
            if question.get("required", True):
                errors[qid] = ["An answer is required."]
            continue
        kind = question["type"]
        if kind == "yes_no" and not isinstance(value, bool):
            errors[qid] = ["Answer true or false."]
        elif kind == "count" and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1000):
            errors[qid] = ["Answer a whole number from 0 to 1000."]
        elif kind == "rating" and (isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5):
            errors[qid] = ["Answer a whole number from 1 to 5."]
        elif kind == "text" and (not isinstance(value, str) or len(value) > 2000):
            errors[qid] = ["Answer with text of at most 2000 characters."]
        else:
            cleaned[qid] = value.strip() if isinstance(value, str) else value
    if errors:
        raise Invalid("Some answers are missing or invalid: " + ", ".join(sorted(errors)) + ".", errors=errors)
    return cleaned


def failed_rules(questions: list[dict[str, Any]], answers: dict[str, Any], instant_card_meetings: int) -> list[str]:
    """Why the checklist fails (empty: it passes): no passport, not enough cards for the route..."""
    failures = []
    for question in questions:
        value = answers.get(question["id"])
        if (question["type"] == "yes_no" and "must_be" in question
                and value is not None and value != question["must_be"]):
            failures.append(f"{question['id']}: answered {'yes' if value else 'no'}")
        if question["type"] == "count" and question.get("min_from") == INSTANT_CARD_MEETINGS and value is not None:
            if value < instant_card_meetings:
                failures.append(f"{question['id']}: {value} on hand, today's route needs {instant_card_meetings}")
    return failures
