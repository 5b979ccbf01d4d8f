"""Home: the logged-in user's space, or the login page."""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, send_from_directory, url_for

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


@bp.get("/favicon.ico")
def favicon():
    # Browsers ask for this path whatever the page says; answering it keeps the logs free of 404s.
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon",
                               max_age=86400)


@bp.get("/accessibilite")
def accessibility():
    """The accessibility statement (RGAA 4.1 format), public like the login page."""
    return render_template("accessibility.html", contact=current_app.config["ACCESSIBILITY_CONTACT"])
