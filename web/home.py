"""Home: the logged-in user's space, or the login page."""
from __future__ import annotations

from flask import Blueprint, redirect, url_for

from .auth import current_org, current_user, home_url

bp = Blueprint("home", __name__)


@bp.app_context_processor
def inject_user():
    user = current_user()
    return {"current_user": user, "current_org": current_org(), "current_space": user["role"] if user else None}


@bp.get("/")
def index():
    user = current_user()
    return redirect(home_url(user) if user else url_for("auth.login"))
