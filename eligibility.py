"""Eligibility to insertion (IAE, clauses sociales): the categories a person may fall in.

Sensitive personal data (RSA, disability recognition are health or social
data under the GDPR): shown to the person's CRE only, never to employers.
"""
from __future__ import annotations

from typing import Final

CATEGORIES: Final[dict[str, str]] = {
    "DELD": "Demandeur d'emploi de longue durée (12 mois et plus)",
    "RSA": "Bénéficiaire du RSA",
    "ASS": "Bénéficiaire de l'ASS",
    "AAH": "Bénéficiaire de l'AAH",
    "RQTH": "Reconnaissance de la qualité de travailleur handicapé",
    "jeune_sans_qualification": "Jeune de moins de 26 ans sans qualification",
    "senior": "Senior (50 ans et plus)",
    "salarie_siae": "Salarié d'une SIAE en parcours",
    "QPV": "Résident d'un quartier prioritaire (QPV)",
    "refugie": "Réfugié ou bénéficiaire de la protection internationale",
    "autre": "Autre situation validée par le facilitateur",
}
