"""The accounts API contract."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from models import Role


class LoginSchema(ma.Schema):
    username = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = ma.fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))


class TokenSchema(ma.Schema):
    access_token = ma.fields.String(required=True)
    refresh_token = ma.fields.String()
    token_type = ma.fields.String(dump_default="Bearer")
    expires_in = ma.fields.Integer(metadata={"description": "access token lifetime in seconds"})


class LogoutSchema(ma.Schema):
    refresh_token = ma.fields.String(
        metadata={"description": "also revoke this refresh token (recommended when logging out of a device)"}
    )


class UserSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    username = ma.fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.-]{2,64}$"))
    full_name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = ma.fields.Email(allow_none=True)
    role = ma.fields.Enum(Role, by_value=True, required=True)
    time_zone = ma.fields.String(load_default="Europe/Moscow", validate=validate.Length(max=64))
    region = ma.fields.String(allow_none=True, validate=validate.Length(max=100))
    is_active = ma.fields.Boolean(dump_only=True)
    created_at = ma.fields.DateTime(dump_only=True)


class UserCreateSchema(UserSchema):
    password = ma.fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=256))


class UserUpdateSchema(ma.Schema):
    full_name = ma.fields.String(validate=validate.Length(min=1, max=200))
    email = ma.fields.Email(allow_none=True)
    time_zone = ma.fields.String(validate=validate.Length(max=64))
    region = ma.fields.String(allow_none=True, validate=validate.Length(max=100))
    is_active = ma.fields.Boolean()
    password = ma.fields.String(load_only=True, validate=validate.Length(min=8, max=256))


class UserQuerySchema(ma.Schema):
    role = ma.fields.Enum(Role, by_value=True)
    active = ma.fields.Boolean()
