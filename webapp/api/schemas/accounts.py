"""Tokens, users and API keys."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from webapp.api.schemas.base import (
    In,
    Out,
    Role,
    Timestamp,
)


class TokenRequest(BaseModel):
    email: str
    password: str


class Token(Out):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int = Field(description="seconds")


class User(Out):
    id: str
    email: str
    role: Role
    active: bool
    created_at: Timestamp


class Me(Out):
    """The caller: a local user (with the role this credential acts with) or an external token's subject."""

    id: str
    email: str
    role: Role
    active: bool | None = None
    created_at: Timestamp | None = None
    effective_role: Role | None = None
    external: bool | None = None


class UserList(Out):
    items: list[User]
    next_cursor: None


class UserCreate(In):
    email: str = Field(pattern=r"^\s*[^@\s]+@[^@\s]+\s*$", max_length=320)
    password: str = Field(min_length=8)
    role: Role = "viewer"


class UserUpdate(In):
    role: Role = None
    active: bool = None
    password: Annotated[str, Field(min_length=8)] = None


class ApiKey(Out):
    id: str
    name: str
    prefix: str = Field(description="the key's first characters, to recognise it")
    user_id: str
    role: Role | None = Field(description="the narrower role the key was given; null: its owner's")
    effective_role: Role
    created_at: Timestamp
    expires_at: Timestamp | None
    revoked_at: Timestamp | None
    last_used_at: Timestamp | None


class ApiKeyCreated(ApiKey):
    key: str = Field(description="the secret (dp_...): shown in this answer only")


class ApiKeyList(Out):
    items: list[ApiKey]
    next_cursor: None


class ApiKeyCreate(In):
    name: str = Field(min_length=1, max_length=100, pattern=r"\S")
    role: Role | None = Field(default=None, description="no higher than the owner's; null: the owner's role")
    expires_in_days: Annotated[int, Field(ge=1, le=3650)] | None = Field(None, description="null: never expires")
    user_id: str | None = Field(default=None, description="admins: create the key for this user")
