"""Home page: try the engine on the demo profiles with a need typed in a form."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from matching import FRENCH_LEVELS, Need, NeedSkill, split_fragments

from . import engine

bp = Blueprint("home", __name__)


@bp.route("/", methods=["GET", "POST"])
def index():
    form = request.form
    errors: list[str] = []
    matches = []
    mapping = None
    if request.method == "POST":
        title = form.get("title", "").strip()
        skills = split_fragments(form.get("skills", ""))
        level = form.get("french_level") or None
        if not title and not skills:
            errors.append("Indiquez au moins un intitulé de poste ou une compétence.")
        if level and level not in FRENCH_LEVELS:
            errors.append("Niveau de français inconnu.")
        if not errors:
            state = engine.state()
            need = Need(id="essai", title=title, description=form.get("description", ""),
                        skills=tuple(NeedSkill(s) for s in skills),
                        driving_licence=form.get("driving_licence") == "on", french_level=level)
            mapping = state.mapper.map(form.get("skills", ""))
            matches = state.index.rank(need, top=10)
    return render_template("home/index.html", form=form, errors=errors, matches=matches,
                           mapping=mapping, levels=FRENCH_LEVELS)
