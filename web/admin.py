"""Administration: organisations and accounts, and the audit log. An administrator manages accounts, not data."""
from __future__ import annotations

import os

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

import storage
from notifications import events, mailer

from . import geo
from .auth import audit, current_user, invite, role_required
from .db import get_db

bp = Blueprint("admin", __name__, url_prefix="/admin")
INVITATION_DAYS = 7
KINDS = {"siae": "Structure d'insertion (SIAE, GEIQ)", "employer": "Employeur", "buyer": "Acheteur public"}


@bp.before_request
@role_required("admin")
def _require_admin():
    return None


@bp.route("/comptes", methods=["GET", "POST"])
def users():
    db = get_db()
    errors: dict[str, str] = {}
    created = None
    values = request.form.to_dict() if request.method == "POST" else {}
    if request.method == "POST":
        email, name = (values.get("email") or "").strip(), (values.get("name") or "").strip()
        role, org_id = values.get("role"), values.get("org_id") or None
        if "@" not in email or len(email) > 200:
            errors["email"] = "Adresse électronique invalide."
        if not name:
            errors["name"] = "Nom : ce champ est obligatoire."
        if role not in storage.ROLES:
            errors["role"] = "Rôle : choisissez dans la liste."
        if not errors:
            org_id = None if role == "admin" else org_id
            try:
                with storage.transaction(db):
                    # The invitation link is never shown here: an administrator who saw it could open
                    # the account (a CRE's, with people's data) before its owner. It reaches the invitee
                    # only: by mail (queued with the account), or through the operator's command
                    # ``flask --app app invitation-link``.
                    token = invite(db, email=email, name=name, role=role, org_id=org_id)
                    created_user = storage.user_by_email(db, email)
                    audit("création de compte", "user", created_user["id"],
                          f"{created_user['email']} — {storage.ROLES[role]}{f' ({org_id})' if org_id else ''} ; "
                          "invitation envoyée par courriel")
                    events.account_invitation(db, created_user, token, days=INVITATION_DAYS,
                                              invited_by=current_user()["name"])
            except storage.Conflict as exc:
                # « Un compte existe déjà pour … » is about the address; a role that does not fit the
                # organisation (« Un compte « CRE / CIP » appartient à … ») is about the organisation.
                errors["email" if "existe déjà" in str(exc) else "org_id"] = str(exc)
            else:
                created = email.strip().lower()
                values = {}
    return render_template("admin/users.html", users=storage.list_users(db), roles=storage.ROLES,
                           orgs=storage.list_organisations(db), errors=errors, values=values,
                           created=created), (400 if errors else 200)


@bp.post("/comptes/<int:user_id>/actif")
def toggle_user(user_id: int):
    db = get_db()
    try:
        user = storage.get_user(db, user_id)
    except storage.NotFound:
        abort(404)
    # The form says which state it wants (not "toggle"): two administrators clicking at once agree.
    wanted = request.form.get("active")
    active = (not user["active"]) if wanted is None else wanted == "1"
    if user["id"] == current_user()["id"]:
        flash("Vous ne pouvez pas désactiver votre propre compte.", "error")
    elif bool(user["active"]) == active:
        flash("Compte déjà " + ("actif." if active else "désactivé."), "success")
    else:
        with storage.transaction(db):
            storage.update_user(db, user_id, {"active": int(active)})
            if not active:
                storage.revoke_sessions(db, user_id)
            audit("réactivation" if active else "désactivation", "user", user_id)
        flash("Compte mis à jour.", "success")
    return redirect(url_for("admin.users"))


@bp.route("/organisations", methods=["GET", "POST"])
def organisations():
    db = get_db()
    errors: dict[str, str] = {}
    values = request.form.to_dict() if request.method == "POST" else {}
    if request.method == "POST":
        org_id, name, kind = (values.get("id") or "").strip(), (values.get("name") or "").strip(), values.get("kind")
        if not org_id.isalnum() or len(org_id) > 20:
            errors["id"] = "Identifiant : lettres et chiffres, 20 au plus."
        elif any(o["id"] == org_id for o in storage.list_organisations(db)):
            errors["id"] = f"L'identifiant {org_id} existe déjà."
        if not name:
            errors["name"] = "Nom : ce champ est obligatoire."
        if kind not in KINDS:
            errors["kind"] = "Type : choisissez dans la liste."
        subtype = values.get("subtype") or None
        if kind == "siae" and subtype not in storage.SIAE_SUBTYPES:
            errors["subtype"] = "Type de structure : AI, ACI, EI, ETTI ou GEIQ (il décide qui peut porter un besoin mutualisé)."
        postcode = (values.get("postcode") or "").strip()
        commune = geo.locate(postcode, values.get("city")) if postcode else None
        if postcode and commune is None:
            errors["postcode"] = f"Code postal {postcode} inconnu de Passerelle."
        if not errors:
            place = ({"postcode": commune.postcode, "city": commune.city, "lat": commune.lat, "lon": commune.lon}
                     if commune else {"city": values.get("city") or None})
            with storage.transaction(db):
                storage.upsert_organisation(db, {"id": org_id, "kind": kind, "name": name,
                                                 "subtype": subtype if kind == "siae" else None, **place})
                audit("création d'organisation", "organisation", org_id, kind)
            flash("Organisation créée.", "success")
            return redirect(url_for("admin.organisations"))
    return render_template("admin/organisations.html", orgs=storage.list_organisations(db), kinds=KINDS,
                           subtypes=storage.SIAE_SUBTYPES, errors=errors, values=values), (400 if errors else 200)


@bp.get("/journal")
def audit_log():
    return render_template("admin/audit.html", entries=storage.audit_entries(get_db(), limit=300))


@bp.get("/courriels")
def mails():
    """The operator's view of e-mail: the queue with failures and their reason, the outbox folder."""
    db = get_db()
    status = request.args.get("statut") or None
    if status and status not in storage.MAIL_STATUSES:
        abort(400)
    settings = mailer.MailSettings.from_config(current_app.config)
    return render_template("admin/mails.html", mails=storage.list_mails(db, status=status, limit=300),
                           counts=storage.mail_counts(db), statuses=storage.MAIL_STATUSES, status=status,
                           smtp=bool(settings.smtp_url), outbox=settings.outbox_dir)


@bp.get("/courriels/<int:mail_id>")
def mail(mail_id: int):
    """One queued mail as it was (or will be) sent: headers, text, attachments."""
    try:
        row = storage.get_mail(get_db(), mail_id)
    except storage.NotFound:
        abort(404)
    message = None
    if row["secret"]:
        pass  # an invitation or reset link is for its recipient only, never shown here
    elif row.get("eml_path") and os.path.exists(row["eml_path"]):
        message = mailer.read_eml(row["eml_path"])
    elif row.get("message") and row["message"] != storage.SCRUBBED:
        message = mailer.parse_message(row["message"])
    text = message.get_body(preferencelist=("plain",)).get_content() if message else ""
    attachments = [part.get_filename() for part in message.iter_attachments()] if message else []
    return render_template("admin/mail.html", mail=row, text=text, attachments=attachments,
                           statuses=storage.MAIL_STATUSES)


@bp.post("/courriels/<int:mail_id>/renvoyer")
def retry_mail(mail_id: int):
    try:
        retried = storage.retry_mail(get_db(), mail_id)
    except storage.NotFound:
        abort(404)
    if retried:
        audit("nouvel essai d'envoi", "mail", mail_id)
        flash("Courriel remis dans la file : il partira au prochain passage de run-jobs.", "success")
    else:
        flash("Seul un courriel en échec peut être renvoyé.", "error")
    return redirect(url_for("admin.mails"))
