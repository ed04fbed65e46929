"""Route-plan import from CSV or JSON: every row checked, good rows planned, bad rows reported."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import marshmallow as ma
from marshmallow import validate
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.fields import CalendarDay
from errors import FieldrepError, Invalid
from models import Role, User
from routes import service

LIST_SEPARATOR = ";"
MAX_ROWS = 2000


class ImportRowSchema(ma.Schema):
    rep = ma.fields.String(required=True, validate=validate.Length(min=1, max=64), metadata={"description": "username"})
    date = CalendarDay(required=True, metadata={"description": "the rep's local day"})
    start = ma.fields.Time(required=True, format="%H:%M", metadata={"description": "HH:MM, the rep's local time"})
    end = ma.fields.Time(required=True, format="%H:%M")
    client_name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    client_phone = ma.fields.String(load_default=None, validate=validate.Length(max=32))
    client_email = ma.fields.Email(load_default=None)
    client_language = ma.fields.String(load_default="ru", validate=validate.Regexp(r"^[a-z]{2}$"))
    english_speaking_client = ma.fields.Boolean(load_default=False)
    address = ma.fields.String(required=True, validate=validate.Length(min=1, max=500))
    latitude = ma.fields.Float(load_default=None, allow_nan=False, validate=validate.Range(-90, 90))
    longitude = ma.fields.Float(load_default=None, allow_nan=False, validate=validate.Range(-180, 180))
    products = ma.fields.List(ma.fields.String(validate=validate.Length(max=100)), load_default=list)
    offers = ma.fields.List(ma.fields.String(validate=validate.Length(max=100)), load_default=list)

    class Meta:
        unknown = ma.EXCLUDE

    @ma.pre_load
    def _blank_to_missing(self, data: dict, **_kwargs) -> dict:
        cleaned = {}
        for key, value in data.items():
            if isinstance(value, str):
                value = value.strip()
                if value == "":
                    continue
                if key in ("products", "offers"):
                    value = [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]
            cleaned[key] = value
        return cleaned


@dataclass
class ImportReport:
    created: list[int] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)


def parse_rows(content: str, content_type: str) -> list[dict]:
    if "json" in content_type:
        try:
            rows = json.loads(content)
        except json.JSONDecodeError as exc:
            raise Invalid(f"The JSON is not valid: {exc}.") from exc
        if isinstance(rows, dict):
            rows = rows.get("meetings")
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise Invalid("JSON import takes a list of meeting objects (or {\"meetings\": [...]}).")
    else:
        reader = csv.DictReader(io.StringIO(content))
        if not reader.fieldnames or "rep" not in reader.fieldnames:
            raise Invalid("The CSV needs a header row with at least: rep, date, start, end, client_name, address.")
        rows = list(reader)
    if len(rows) > MAX_ROWS:
        raise Invalid(f"At most {MAX_ROWS} rows per import; split the file.")
    return rows


def import_rows(session: Session, actor: User, rows: list[dict]) -> ImportReport:
    """Good rows are planned; each bad row is reported with why (field -> messages)."""
    report = ImportReport()
    schema = ImportRowSchema()
    reps = {user.username: user for user in session.scalars(select(User).where(User.role == Role.rep))}
    for number, raw in enumerate(rows, start=1):
        try:
            row = schema.load(raw)
        except ma.ValidationError as exc:
            report.rejected.append({"row": number, "errors": exc.messages})
            continue
        rep = reps.get(row["rep"].lower())
        if rep is None or not rep.is_active:
            report.rejected.append({"row": number, "errors": {"rep": [f"No active rep named {row['rep']!r}."]}})
            continue
        zone = ZoneInfo(rep.time_zone)
        data = {key: row[key] for key in ("client_name", "client_phone", "client_email", "client_language",
                                          "english_speaking_client", "address", "latitude", "longitude",
                                          "products", "offers")}
        data.update(rep_id=rep.id, starts_at=datetime.combine(row["date"], row["start"], zone),
                    ends_at=datetime.combine(row["date"], row["end"], zone))
        try:
            # plan_meeting checks everything before it writes, so a refused row leaves no trace
            meeting = service.plan_meeting(session, actor, data)
        except FieldrepError as exc:
            report.rejected.append({"row": number, "errors": exc.errors or {"row": [exc.message]}})
            continue
        report.created.append(meeting.id)
    return report
