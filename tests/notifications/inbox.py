"""Shared by the notification tests: the address the app is configured with, and
reading and clearing everyone's notifications."""

from __future__ import annotations

from sqlmodel import Session, col, select

from mlat.models import Notification

BASE_URL = "https://mlat.example.qa"


def inbox(db: Session) -> dict[int, list[str]]:
    """Each user's unread notifications, by kind."""
    db.expire_all()
    rows = db.exec(select(Notification).where(col(Notification.read_at).is_(None)))
    found: dict[int, list[str]] = {}
    for n in rows:
        found.setdefault(n.user_id, []).append(n.kind)
    return found


def clear(db: Session) -> None:
    for n in db.exec(select(Notification)):
        db.delete(n)
    db.commit()
