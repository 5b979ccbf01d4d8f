"""Home page: choose a space (CRE of a structure, or employer)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for

import storage

from .db import get_db
from .spaces import SPACES, current_org

bp = Blueprint("home", __name__)


@bp.app_context_processor
def inject_space():
    return {"current_org": current_org(), "current_space": session.get("space")}


@bp.get("/")
def index():
    db = get_db()
    return render_template("home/index.html", siaes=storage.list_organisations(db, "siae"),
                           employers=storage.list_organisations(db, "employer"),
                           buyers=storage.list_organisations(db, "buyer"))


@bp.post("/espace")
def choose_space():
    space, org_id = request.form.get("space"), request.form.get("org_id", "")
    if space not in SPACES:
        abort(400)
    try:
        org = storage.get_organisation(get_db(), org_id)
    except storage.NotFound:
        org = None
    if org is None or org["kind"] != SPACES[space]:
        flash("Choisissez une structure ou une entreprise dans la liste.", "error")
        return redirect(url_for("home.index"))
    session.clear()
    session.update(space=space, org_id=org_id)
    return redirect(url_for({"cre": "cre.dashboard", "employer": "employer.needs", "buyer": "buyer.contracts"}[space]))


@bp.post("/sortir")
def leave():
    session.clear()
    return redirect(url_for("home.index"))
