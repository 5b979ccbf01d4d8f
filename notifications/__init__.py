"""Notifications: what happened, to whom, in the app and by e-mail.

- ``registry`` (``registry.py``): each kind with its category, ``can_be_disabled``, ``should_send()``;
  the kinds themselves in ``kinds.py``.
- ``notify()`` (here): an event for some recipients → one in-app notification each, and a mail
  queued in the same transaction for those who want it now (the others wait for their daily digest).
- ``events.py``: who is told of what (proposals, interviews, reminders, follow-up, accounts).
- ``mailer.py``: the worker's side: render the queued mails (French text + HTML, ``.ics``), send
  them through SMTP or write them to the outbox folder, retry with back-off, build the digests.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

import sqlite_utils

import storage

from . import kinds  # noqa: F401  (registers every kind)
from .registry import DIGEST, IMMEDIATE, MODES, NONE, Category, Notification, registry

__all__ = ["Category", "DIGEST", "IMMEDIATE", "MODES", "NONE", "Notification", "notify", "registry"]


def notify(db: sqlite_utils.Database, kind: type[Notification], recipients: Iterable[Mapping[str, Any]],
           context: Mapping[str, Any], *, link: str, object_type: str | None = None,
           object_id: Any = None) -> list[int]:
    """Tell each recipient (a ``users`` row) of one event; return the ids of the queued mails.

    Runs in the caller's transaction when there is one (a proposal change and its notifications are
    stored together or not at all), else in its own.
    """
    title = kind.title(context)
    mails: list[int] = []
    seen: set[int] = set()
    with storage.transaction(db):
        for user in recipients:
            if user["id"] in seen or not user.get("active", 1):
                continue
            seen.add(user["id"])
            notification = kind(user, context, link=link, object_type=object_type, object_id=object_id)
            mode = notification.mode(storage.notification_settings(db, user["id"], user.get("org_id")))
            notification_ids = []
            if kind.in_app:
                notification_ids.append(storage.add_notification(
                    db, user_id=user["id"], org_id=user.get("org_id"), kind=kind.kind, title=title, link=link,
                    context=context, object_type=object_type, object_id=object_id, delivery=mode))
            if mode == IMMEDIATE:
                mails.append(storage.enqueue_mail(
                    db, kind=kind.kind, to_addr=user["email"], user_id=user["id"], secret=kind.secret,
                    notification_ids=notification_ids,
                    context={**context, "title": title, "link": link, "recipient_name": user.get("name") or ""}))
    return mails
