"""``flask --app app …`` commands: thin wrappers turning errors into one French line."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from werkzeug.security import generate_password_hash

import jobs
import storage
from notifications import events, mailer

from .auth import (MAX_TOKEN_VALIDITY_DAYS, TOKEN_VALIDITY_DAYS, create_api_token, invite, password_problem,
                   renew_invitation)
from .db import get_db
from .declarations import send_reminders
from .demo import load_demo
from .engine import engine


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Crée la base de données si elle n'existe pas."""
    get_db()
    click.echo("Base prête.")


@click.command("load-demo")
@with_appcontext
def load_demo_command() -> None:
    """Charge les données de démonstration (sans doublon si relancée)."""
    try:
        counts = load_demo(get_db(), engine())
    except (ValueError, storage.Conflict) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("Démonstration chargée : " + ", ".join(f"{k} = {v}" for k, v in counts.items()))


@click.command("create-org")
@click.option("--id", "org_id", required=True, help="identifiant court, ex. S6")
@click.option("--kind", type=click.Choice(["siae", "employer", "buyer"]), required=True)
@click.option("--name", required=True)
@click.option("--city", default=None)
@click.option("--subtype", type=click.Choice(list(storage.SIAE_SUBTYPES)), default=None,
              help="pour une SIAE : AI, ACI, EI, ETTI ou GEIQ")
@click.option("--postcode", default=None, help="code postal (situe la structure dans son territoire)")
@with_appcontext
def create_org_command(org_id: str, kind: str, name: str, city: str | None, subtype: str | None,
                       postcode: str | None) -> None:
    """Crée (ou met à jour) une organisation."""
    from . import geo

    place = {"city": city}
    if postcode:
        commune = geo.locate(postcode, city)
        if commune is None:
            raise click.ClickException(f"Code postal {postcode} inconnu de Passerelle.")
        place = {"postcode": commune.postcode, "city": commune.city, "lat": commune.lat, "lon": commune.lon}
    if subtype and kind != "siae":
        raise click.ClickException("--subtype ne vaut que pour une structure (--kind siae).")
    storage.upsert_organisation(get_db(), {"id": org_id, "kind": kind, "name": name, "subtype": subtype, **place})
    click.echo(f"Organisation {org_id} enregistrée.")


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(list(storage.ROLES)), required=True)
@click.option("--org", "org_id", default=None, help="organisation (sauf pour un administrateur)")
@click.option("--password", default=None, help="sinon, un lien d'invitation est affiché")
@click.option("--phone", default=None, help="téléphone montré aux partenaires (CRE, employeur)")
@with_appcontext
def create_user_command(email: str, name: str, role: str, org_id: str | None, password: str | None,
                        phone: str | None) -> None:
    """Crée un compte ; sans --password, affiche le lien d'invitation (premier accès) et l'envoie par courriel."""
    db = get_db()
    try:
        with storage.transaction(db):
            if password:
                problem = password_problem(password, email)
                if problem:
                    raise click.ClickException(problem)
                storage.create_user(db, email=email, name=name, role=role, org_id=org_id,
                                    password_hash=generate_password_hash(password))
                token = None
            else:
                token = invite(db, email=email, name=name, role=role, org_id=org_id)
            user = storage.user_by_email(db, email)
            if token is not None:
                events.account_invitation(db, user, token, days=7)
            if phone:
                storage.update_user(db, user["id"], {"phone": phone.strip()})
            storage.audit(db, None, "création de compte", "user", user["id"],
                          f"{user['email']} — {storage.ROLES[role]}{f' ({org_id})' if org_id else ''} ; "
                          "par l'exploitant (ligne de commande)")
    except storage.Conflict as exc:
        raise click.ClickException(str(exc)) from exc
    if token is None:
        click.echo(f"Compte {email} créé.")
    else:
        click.echo(f"Compte {email} créé. Lien d'invitation (7 jours) : /invitation/{token}")
        click.echo("Courriel d'invitation en file d'attente (envoyé par run-jobs).")


@click.command("invitation-link")
@click.option("--email", required=True)
@with_appcontext
def invitation_link_command(email: str) -> None:
    """Affiche un nouveau lien d'invitation pour un compte sans mot de passe (l'ancien ne marche plus)."""
    db = get_db()
    user = storage.user_by_email(db, email)
    if user is None:
        raise click.ClickException(f"Aucun compte pour {email}.")
    if user["password_hash"]:
        raise click.ClickException(f"Le compte {email} a déjà choisi son mot de passe : pas d'invitation.")
    with storage.transaction(db):
        token = renew_invitation(db, user)
        storage.audit(db, None, "nouvelle invitation", "user", user["id"], "par l'exploitant (ligne de commande)")
    click.echo(f"Lien d'invitation pour {user['email']} (7 jours) : /invitation/{token}")


@click.command("create-token")
@click.option("--email", required=True, help="compte dont le jeton porte les droits")
@click.option("--name", required=True, help="nom du jeton (à quoi il sert)")
@click.option("--days", type=click.IntRange(1, MAX_TOKEN_VALIDITY_DAYS), default=TOKEN_VALIDITY_DAYS,
              show_default=True, help="validité en jours")
@with_appcontext
def create_token_command(email: str, name: str, days: int) -> None:
    """Affiche un nouveau jeton d'API pour ce compte (une ligne : le jeton seul)."""
    db = get_db()
    user = storage.user_by_email(db, email)
    if user is None or not user["active"]:
        raise click.ClickException(f"Aucun compte actif pour {email}.")
    name = name.strip()[:80] or "jeton"
    with storage.transaction(db):
        token = create_api_token(db, user["id"], name, days=days)
        storage.audit(db, None, "création de jeton d'API", "user", user["id"],
                      f"{name} ({days} jours) ; par l'exploitant (ligne de commande)")
    click.echo(token)


@click.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(destination: str) -> None:
    """Sauvegarde la base dans un nouveau fichier, même pendant que l'application tourne."""
    try:
        result = storage.backup_database(current_app.config["DATABASE"], destination)
    except storage.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Sauvegarde écrite : {result['path']} ({result['bytes']} octets, {result.get('profiles', 0)} "
               f"profils, {result.get('needs', 0)} besoins, {result.get('users', 0)} comptes).")


@click.command("restore")
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="ne pas demander de confirmation")
@with_appcontext
def restore_command(source: str, yes: bool) -> None:
    """Remplace la base par une sauvegarde (serveur arrêté) ; la base actuelle est d'abord copiée à côté."""
    database = Path(current_app.config["DATABASE"])
    try:
        summary = storage.check_backup(source)
    except storage.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    if not yes:
        click.confirm(f"Remplacer le contenu de {database} par {source} ({summary.get('profiles', 0)} profils, "
                      f"{summary.get('users', 0)} comptes) ?", abort=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    safety = database.with_name(f"{database.name}.avant-restauration-{stamp}") if database.exists() else None
    try:
        result = storage.restore_database(source, database, safety_copy=safety)
    except storage.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Base restaurée depuis {source} ({result.get('profiles', 0)} profils, {result.get('users', 0)} comptes)."
               + (f" L'ancienne base est gardée dans {safety}." if safety else ""))


@click.command("import-rome")
@click.argument("directory", type=click.Path(file_okay=False))
@with_appcontext
def import_rome_command(directory: str) -> None:
    """Importe le ROME 4.0 (dossier CSV de France Travail) ; remplace une version précédente."""
    from matching.rome import RomeError, load_referential

    from .careers import referential_rows

    try:
        referential = load_referential(directory)
    except RomeError as exc:
        raise click.ClickException(str(exc)) from exc
    counts = storage.replace_rome(get_db(), referential.version, referential_rows(referential))
    click.echo(f"ROME {referential.version} importé : " + ", ".join(f"{k} = {v}" for k, v in counts.items()))


@click.command("clause-reminders")
@click.option("--date", "on", default=None, help="jour de référence AAAA-MM-JJ (aujourd'hui par défaut)")
@with_appcontext
def clause_reminders_command(on: str | None) -> None:
    """Liste les mois non déclarés au 10 du mois suivant, par titulaire (rappels à envoyer)."""
    try:
        today = date.fromisoformat(on) if on else None
    except ValueError:
        raise click.ClickException(f"Date invalide : {on} (format AAAA-MM-JJ).") from None
    db = get_db()
    due = send_reminders(db, today=today, notify=events.clause_months_missing)
    users: dict[str, list[str]] = {}
    for u in storage.list_users(db):
        if u["role"] == "employer" and u["active"]:
            users.setdefault(u["org_id"], []).append(u["email"])
    for r in due:
        click.echo(f"{r.lot['titulaire']} ({', '.join(users.get(r.titulaire_id) or ['aucun compte'])}) : "
                   f"{r.contract['reference']} lot {r.lot['number']}, mois manquants {', '.join(r.months)}")
    click.echo(f"{len(due)} rappel(s) mis en file (envoyés par run-jobs).")


@click.command("run-jobs")
@with_appcontext
def run_jobs_command() -> None:
    """Relances, clôtures sans réponse, besoins à confirmer, suivis en retard, résumés, puis envoi des courriels.

    Sans effet en double : à lancer toutes les quelques minutes (cron)."""
    config = current_app.config
    try:
        mail_settings = mailer.MailSettings.from_config(config)
        transport = mailer.transport_for(mail_settings)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    clause_reminders = {"clause_months_missing":
                        lambda db: len(send_reminders(db, notify=events.clause_months_missing))}
    counts = jobs.run_jobs(get_db(), settings=jobs.JobSettings.from_config(config), mail_settings=mail_settings,
                           transport=transport, more=clause_reminders)
    click.echo("Tâches faites : " + ", ".join(f"{k} = {v}" for k, v in counts.items()))
    where = "SMTP" if mail_settings.smtp_url else f"boîte d'envoi {mail_settings.outbox_dir}"
    click.echo(f"Courriels : {counts['mails_sent']} envoyé(s) ({where}), {counts['mails_retried']} à réessayer, "
               f"{counts['mails_failed']} en échec.")
    if counts["mails_failed"]:
        raise SystemExit(1)


@click.command("outbox")
@click.option("--statut", "status", type=click.Choice(list(storage.MAIL_STATUSES)), default=None)
@click.option("--limite", "limit", type=int, default=50, show_default=True)
@with_appcontext
def outbox_command(status: str | None, limit: int) -> None:
    """Liste les courriels : file d'attente, envoyés (fichier .eml sans SMTP), échecs et leur cause."""
    rows = storage.list_mails(get_db(), status=status, limit=limit)
    if not rows:
        click.echo("Aucun courriel.")
    for row in rows:
        line = (f"#{row['id']}  {row['created_at']}  {storage.MAIL_STATUSES[row['status']]:<16}  {row['to_addr']}  "
                f"{row['subject'] or row['kind']}")
        if row.get("eml_path"):
            line += f"  → {row['eml_path']}"
        if row.get("last_error"):
            line += f"  [{row['attempts']} essai(s) : {row['last_error']}]"
        click.echo(line)


def init_app(app: Flask) -> None:
    app.cli.add_command(clause_reminders_command)
    app.cli.add_command(run_jobs_command)
    app.cli.add_command(outbox_command)
    app.cli.add_command(import_rome_command)
    app.cli.add_command(init_db_command)
    app.cli.add_command(load_demo_command)
    app.cli.add_command(create_org_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(invitation_link_command)
    app.cli.add_command(create_token_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
