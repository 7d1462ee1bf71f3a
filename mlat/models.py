"""Database tables. Business logic lives in ``mlat.services``."""

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, String, UniqueConstraint
from sqlmodel import Field, Relationship, SQLModel


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Role(StrEnum):
    officer = "officer"
    reviewer = "reviewer"
    prosecutor = "prosecutor"
    admin = "admin"


class RequestStatus(StrEnum):
    draft = "draft"
    in_review = "in_review"
    returned = "returned"
    approved = "approved"
    signed = "signed"
    transmitted = "transmitted"
    acknowledged = "acknowledged"
    partially_executed = "partially_executed"
    executed = "executed"
    refused = "refused"
    withdrawn = "withdrawn"
    closed = "closed"


class Unit(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    code: str = Field(max_length=8, unique=True, description="prefix of reference numbers")
    state: str = Field(max_length=2, description="ISO 3166 alpha-2 code of the unit's state")
    timezone: str = Field(default="UTC", max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow)

    users: list["User"] = Relationship(back_populates="unit")


class UserRole(SQLModel, table=True):
    __tablename__ = "user_role"

    user_id: int | None = Field(
        default=None, foreign_key="user.id", primary_key=True, ondelete="CASCADE"
    )
    role: Role = Field(primary_key=True, sa_type=String(16))


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(max_length=200)
    password_hash: str = Field(max_length=256)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True, nullable=False)
    active: bool = Field(default=True)
    locale: str = Field(default="en", max_length=8)
    session_epoch: int = Field(
        default=0, description="raised to end every session of the user (password change)"
    )
    created_at: dt.datetime = Field(default_factory=utcnow)

    unit: Unit = Relationship(back_populates="users")
    role_rows: list["UserRole"] = Relationship(
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "lazy": "selectin"}
    )

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(r.role) for r in self.role_rows)

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))


class ReferenceCounter(SQLModel, table=True):
    __tablename__ = "reference_counter"

    unit_id: int = Field(foreign_key="unit.id", primary_key=True)
    year: int = Field(primary_key=True)
    last: int = Field(default=0)


class MlaRequest(SQLModel, table=True):
    __tablename__ = "mla_request"
    __table_args__ = (
        UniqueConstraint("reference", name="uq_mla_request_reference"),
        Index("ix_mla_request_unit_status_updated", "unit_id", "status", "updated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=32)
    unit_id: int = Field(foreign_key="unit.id")
    owner_id: int = Field(foreign_key="user.id", index=True)
    requested_state: str = Field(max_length=2, index=True)
    title: str = Field(max_length=200)
    status: RequestStatus = Field(default=RequestStatus.draft, sa_type=String(24))
    content: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=Column(JSON, nullable=False),
        description="the request in the documented request format (docs/request-format.md)",
    )
    version: int = Field(default=1, description="raised on every save; stale saves are refused")
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)
