"""``flask --app app …`` commands: thin wrappers turning errors into one French line."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

import storage

from werkzeug.security import generate_password_hash

import jobs
from notifications import events, mailer

from .auth import invite, password_problem
from .db import get_db
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
@with_appcontext
def create_org_command(org_id: str, kind: str, name: str, city: str | None) -> None:
    """Crée (ou met à jour) une organisation."""
    storage.upsert_organisation(get_db(), {"id": org_id, "kind": kind, "name": name, "city": city})
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
        if password:
            problem = password_problem(password, email)
            if problem:
                raise click.ClickException(problem)
            storage.create_user(db, email=email, name=name, role=role, org_id=org_id,
                                password_hash=generate_password_hash(password))
            click.echo(f"Compte {email} créé.")
        else:
            token = invite(db, email=email, name=name, role=role, org_id=org_id)
            events.account_invitation(db, storage.user_by_email(db, email), token, days=7)
            click.echo(f"Compte {email} créé. Lien d'invitation (7 jours) : /invitation/{token}")
            click.echo("Courriel d'invitation en file d'attente (envoyé par run-jobs).")
        if phone:
            storage.update_user(db, storage.user_by_email(db, email)["id"], {"phone": phone.strip()})
    except storage.Conflict as exc:
        raise click.ClickException(str(exc)) from exc


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
    counts = jobs.run_jobs(get_db(), settings=jobs.JobSettings.from_config(config), mail_settings=mail_settings,
                           transport=transport)
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
    app.cli.add_command(run_jobs_command)
    app.cli.add_command(outbox_command)
    app.cli.add_command(import_rome_command)
    app.cli.add_command(init_db_command)
    app.cli.add_command(load_demo_command)
    app.cli.add_command(create_org_command)
    app.cli.add_command(create_user_command)
