"""Every kind of notification Passerelle sends, registered in ``registry``.

A kind's context holds what its mail and its line in the list show, captured when the event happens.
What goes to an employer is built from the proposal's shared facts only (first name, job, the CRE's
message and contact): never eligibility criteria, notes or the structure's internal follow-up.
"""
from __future__ import annotations

from typing import Any, Mapping

from web.filters import when_fr as when

from .calendar_invite import interview_ics
from .registry import DIGEST, Category, Notification, registry

EMPLOYER = frozenset({"employer"})
CRE = frozenset({"cre"})
EVERY_ROLE = frozenset({"cre", "employer", "buyer", "admin"})


# -- proposals -------------------------------------------------------------------
@registry.register
class NewProposal(Notification):
    kind = "nouvelle_candidature"
    label = "Nouvelle candidature reçue"
    category = Category.PROPOSALS
    roles = EMPLOYER
    template = "new_proposal"

    @classmethod
    def title(cls, c: Mapping[str, Any]) -> str:
        return f"Nouvelle candidature : {c['first_name']} pour « {c['need_title']} »"


@registry.register
class ProposalSeen(Notification):
    kind = "candidature_vue"
    label = "L'employeur a ouvert une candidature"
    category = Category.PROPOSALS
    roles = CRE
    template = "proposal_status"
    default_mode = DIGEST  # useful to know, not worth a mail each time

    @classmethod
    def title(cls, c: Mapping[str, Any]) -> str:
        return f"{c['employer_name']} a consulté la candidature de {c['first_name']} (« {c['need_title']} »)"


@registry.register
class ProposalAnswered(Notification):
    kind = "reponse_employeur"
    label = "Réponse de l'employeur ou changement d'état d'une candidature"
    category = Category.PROPOSALS
    roles = CRE
    template = "proposal_status"

    @classmethod
    def title(cls, c: Mapping[str, Any]) -> str:
        reason = f" ({c['reason_label']})" if c.get("reason_label") else ""
        return f"{c['first_name']} – « {c['need_title']} » : {c['state_label']}{reason}"


@registry.register
class ProposalUpdatedByCre(Notification):
    kind = "candidature_mise_a_jour"
    label = "La structure d'insertion a fait avancer une candidature"
    category = Category.PROPOSALS
    roles = EMPLOYER
    template = "proposal_status"

    @classmethod
    def title(cls, c: Mapping[str, Any]) -> str:
        return f"Candidature de {c['first_name']} (« {c['need_title']} ») : {c['state_label']}"


# -- interviews ------------------------------------------------------------------
class _InterviewNotification(Notification):
    """Interview mails carry the event as an ``.ics`` file (one event per proposal, versioned)."""

    @classmethod
    def attachments(cls, c: Mapping[str, Any]) -> list[tuple[str, str, bytes]]:
        interview = c["interview"]
        lines = [f"Entretien avec {c['first_name']} pour le poste « {c['need_title']} » chez {c['employer_name']}.",
                 f"Modalité : {interview['mode_label']}"]
        if interview.get("contact_name"):
            lines.append(f"Contact sur place : {interview['contact_name']} {interview.get('contact_phone') or ''}".strip())
        if c.get("cre_name"):
            lines.append(f"Chargé(e) de relations entreprises : {c['cre_name']} {c.get('cre_phone') or ''}".strip())
        ics = interview_ics(interview, summary=f"Entretien {c['first_name']} – {c['need_title']}",
                            description="\n".join(lines), domain=c.get("mail_domain") or "passerelle",
                            url=c.get("url"))
        return [("entretien.ics", "text/calendar", ics)]


@registry.register
class InterviewProposed(_InterviewNotification):
    kind = "entretien_propose"
    label = "Entretien proposé par l'employeur"
    category = Category.INTERVIEWS
    roles = CRE
    template = "interview"

    @classmethod
    def title(cls, c: Mapping[str, Any]) -> str:
        return f"Entretien proposé pour {c['first_name']} : {when(c['interview']['starts_at'])}"


@registry.register
class InterviewConfirmed(_InterviewNotification):
    kind = "entretien_confirme"
    label = "Entretien confirmé"
    category = Category.INTERVIEWS
    roles = frozenset({"cre", "employer"})
    template = "interview"

    @classmethod
    def title(cls, c: Mapping[str, Any]) -> str:
        return f"Entretien confirmé avec {c['first_name']} : {when(c['interview']['starts_at'])}"


@registry.register
class InterviewOtherSlot(Notification):
    kind = "entretien_autre_creneau"
    label = "Autre créneau d'entretien demandé"
    category = Category.INTERVIEWS
    roles = EMPLOYER
    template = "interview"

    @classmethod
    def title(cls, c: Mapping[str, Any]) -> str:
        return f"Autre créneau demandé pour l'entretien avec {c['first_name']}"


# -- reminders -------------------------------------------------------------------
@registry.register
class ProposalReminder(Notification):
    kind = "relance_candidature"
    label = "Relance : candidature sans réponse"
    category = Category.REMINDERS
    roles = EMPLOYER
    template = "proposal_reminder"

    @classmethod
    def title(cls, c: Mapping[str, Any]) -> str:
        return f"Relance : la candidature de {c['first_name']} (« {c['need_title']} ») attend votre réponse"


@registry.register
class NeedStale(Notification):
    kind = "besoin_a_confirmer"
    label = "Besoin à confirmer (sans mise à jour depuis longtemps)"
    category = Category.REMINDERS
    roles = EMPLOYER
    template = "need_stale"

    @classmethod
    def title(cls, c: Mapping[str, Any]) -> str:
        return f"Votre besoin « {c['need_title']} » est-il toujours ouvert ?"


@registry.register
class CheckinOverdue(Notification):
    kind = "suivi_en_retard"
    label = "Point de suivi après l'embauche en retard"
    category = Category.REMINDERS
    roles = CRE
    template = "checkin_overdue"

    @classmethod
    def title(cls, c: Mapping[str, Any]) -> str:
        return f"Point de suivi J+{c['day_offset']} de {c['first_name']} en retard (prévu le {c['due_on_fr']})"


# -- after the hire --------------------------------------------------------------
@registry.register
class FollowupStarted(Notification):
    kind = "suivi_embauche"
    label = "Suivi après l'embauche : tuteur et appréciation"
    category = Category.FOLLOWUP
    roles = EMPLOYER
    template = "followup_started"

    @classmethod
    def title(cls, c: Mapping[str, Any]) -> str:
        return f"Embauche de {c['first_name']} : le suivi des trois premiers mois commence"


@registry.register
class TutorAssessment(Notification):
    kind = "appreciation_tuteur"
    label = "Appréciation du tuteur en entreprise"
    category = Category.FOLLOWUP
    roles = CRE
    template = "tutor_assessment"

    @classmethod
    def title(cls, c: Mapping[str, Any]) -> str:
        return f"Appréciation du tuteur pour {c['first_name']} ({c['employer_name']})"


@registry.register
class ClauseHire(Notification):
    kind = "embauche_clause"
    label = "Embauche sur un besoin lié à un de vos marchés"
    category = Category.CLAUSES
    roles = frozenset({"buyer"})
    template = "clause_hire"

    @classmethod
    def title(cls, c: Mapping[str, Any]) -> str:
        return f"Embauche en insertion chez {c['employer_name']} (marché {c['contract_reference']})"


@registry.register
class ClauseMonthsMissing(Notification):
    kind = "clause_mois_manquants"
    label = "Heures d'insertion à déclarer (mois non déclarés au 10 du mois suivant)"
    category = Category.CLAUSES
    roles = EMPLOYER
    template = "clause_months_missing"

    @classmethod
    def title(cls, c: Mapping[str, Any]) -> str:
        months = ", ".join(c["months"])
        return f"Heures à déclarer : marché {c['contract_reference']}, lot {c['lot_number']} ({months})"


# -- accounts (never turned off: they are the way in) ------------------------------
@registry.register
class AccountInvitation(Notification):
    kind = "invitation"
    label = "Invitation à créer son compte"
    category = Category.ACCOUNT
    roles = EVERY_ROLE
    template = "invitation"
    can_be_disabled = False
    in_app = False
    secret = True

    @classmethod
    def title(cls, c: Mapping[str, Any]) -> str:
        return "Votre accès à Passerelle"


@registry.register
class PasswordReset(Notification):
    kind = "mot_de_passe"
    label = "Mot de passe oublié"
    category = Category.ACCOUNT
    roles = EVERY_ROLE
    template = "password_reset"
    can_be_disabled = False
    in_app = False
    secret = True

    @classmethod
    def title(cls, c: Mapping[str, Any]) -> str:
        return "Choisir un nouveau mot de passe Passerelle"


# -- operations --------------------------------------------------------------------
@registry.register
class MailFailed(Notification):
    kind = "echec_envoi"
    label = "Courriel non remis"
    category = Category.OPERATIONS
    roles = frozenset({"admin"})
    by_mail = False  # the mail is what fails: the operator reads it in the list and on the mail page

    @classmethod
    def title(cls, c: Mapping[str, Any]) -> str:
        return f"Courriel non remis à {c['to_addr']} après {c['attempts']} tentatives : {c['error']}"
