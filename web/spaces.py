"""Which space a visitor works in (CRE of an SIAE, or an employer) and for which organisation.

Until accounts exist, the visitor picks a space and an organisation on the
home page; it is kept in the session. Views of a space use ``space_required``.
"""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from flask import flash, g, redirect, session, url_for

import storage

from .db import get_db

SPACES = {"cre": "siae", "employer": "employer", "buyer": "buyer"}


def current_org() -> dict[str, Any] | None:
    """The organisation of the session's space, or None."""
    key = (session.get("space"), session.get("org_id"))
    # Cached per (space, organisation): an application context, and so ``g``,
    # can outlive one request (tests push one around several requests).
    cached = g.get("org_cache")
    if cached is None or cached[0] != key:
        org = None
        space, org_id = key
        if org_id and space in SPACES:
            try:
                org = storage.get_organisation(get_db(), org_id)
            except storage.NotFound:
                org = None
            if org and org["kind"] != SPACES[space]:
                org = None
        g.org_cache = cached = (key, org)
    return cached[1]


def space_required(space: str) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            org = current_org()
            if org is None or session.get("space") != space:
                flash("Choisissez d'abord votre espace.", "error")
                return redirect(url_for("home.index"))
            return view(*args, **kwargs)
        return wrapped
    return decorator
