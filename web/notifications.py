"""Notifications in the app (every role): the list with its unread count in the header, and each
user's choices: how each kind of mail comes (immediately, in a daily digest, not at all), and the
phone number shown to the people they work with."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

import notifications
import permissions
import storage

from . import validation
from .auth import _safe_next, audit, current_user, role_required
from .db import get_db

bp = Blueprint("notifications", __name__)
ANY_ROLE = tuple(storage.ROLES)  # every account, a structure's director included


@bp.app_context_processor
def inject_unread_count():
    user = current_user()
    if not user:
        return {"unread_notifications": 0}
    return {"unread_notifications": storage.unread_count(get_db(), user["id"])}


@bp.get("/notifications")
@role_required(*ANY_ROLE)
def index():
    user = current_user()
    rows = storage.list_notifications(get_db(), user["id"], limit=200)
    return render_template("notifications/list.html", notifications=rows)


@bp.get("/notifications/<int:notification_id>")
@role_required(*ANY_ROLE)
def open_notification(notification_id: int):
    """Follow a notification's link, marking it read."""
    db = get_db()
    user = current_user()
    row = storage.get_notification(db, user["id"], notification_id)
    if row is None or not permissions.can_read_notification(user, row):
        abort(404)
    storage.mark_read(db, user["id"], notification_id)
    return redirect(_safe_next(row["link"]) or url_for("notifications.index"))


@bp.post("/notifications/tout-lu")
@role_required(*ANY_ROLE)
def mark_all_read():
    count = storage.mark_read(get_db(), current_user()["id"])
    flash(f"{count} notification(s) marquée(s) comme lue(s)." if count else "Rien de nouveau.", "success")
    return redirect(url_for("notifications.index"))


@bp.route("/compte/notifications", methods=["GET", "POST"])
@role_required(*ANY_ROLE)
def preferences():
    """Per kind: immediately, daily digest or no mail; for the user's current organisation."""
    user = current_user()
    db = get_db()
    kinds = notifications.registry.choosable_for(user["role"])
    errors: dict[str, str] = {}
    if request.method == "POST":
        modes = {}
        for kind in kinds:
            if not kind.can_be_disabled:
                continue
            mode = request.form.get(f"mode-{kind.kind}")
            if mode is None:
                continue  # not in the form: left as it was
            if mode not in notifications.MODES:
                errors[kind.kind] = f"« {kind.label} » : choisissez dans la liste."
            modes[kind.kind] = mode
        phone = (request.form.get("phone") or "").strip()
        if phone and not validation.PHONE.match(phone):
            errors["phone"] = "Téléphone : un numéro comme 01 23 45 67 89 ou +33 1 23 45 67 89."
        if not errors:
            storage.save_notification_settings(db, user["id"], user.get("org_id"), modes)
            if phone != (user.get("phone") or ""):
                storage.update_user(db, user["id"], {"phone": phone or None})
                audit("changement de téléphone", "user", user["id"])
            flash("Préférences enregistrées.", "success")
            return redirect(url_for("notifications.preferences"))
    settings = storage.notification_settings(db, user["id"], user.get("org_id"))
    chosen = {k.kind: (request.form.get(f"mode-{k.kind}") if errors else None)
              or k(user, {}, link="/").mode(settings) for k in kinds}
    groups: dict[str, list] = {}
    for kind in kinds:
        groups.setdefault(kind.category.value, []).append(kind)
    return render_template("notifications/preferences.html", groups=groups, chosen=chosen,
                           modes=notifications.MODES, errors=errors,
                           phone=request.form.get("phone", user.get("phone") or "")), (400 if errors else 200)
