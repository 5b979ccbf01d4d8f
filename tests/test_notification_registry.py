"""The notification registry: every kind declared completely, preferences decided by the kind."""
from pathlib import Path

import pytest

import notifications
from notifications import DIGEST, IMMEDIATE, NONE, Category, Notification, registry
from notifications.registry import NotificationRegistry

TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "mail"
EMPLOYER = {"id": 1, "role": "employer", "org_id": "E1", "email": "e@x.fr"}


@pytest.mark.parametrize("kind", list(registry), ids=lambda k: k.kind)
def test_every_kind_is_complete_and_has_its_two_templates(kind):
    assert isinstance(kind.category, Category) and kind.label and kind.roles
    if kind.by_mail:
        assert (TEMPLATES / f"{kind.template}.txt").exists() and (TEMPLATES / f"{kind.template}.html").exists()


def test_the_kinds_required_by_the_issue_are_registered():
    kinds = {k.kind for k in registry}
    assert {"nouvelle_candidature", "reponse_employeur", "entretien_propose", "entretien_confirme",
            "relance_candidature", "besoin_a_confirmer", "suivi_en_retard", "invitation", "mot_de_passe"} <= kinds


def test_preferences_decide_through_the_kind():
    kind = registry.get("nouvelle_candidature")
    n = kind(EMPLOYER, {}, link="/")
    assert n.mode({}) == IMMEDIATE and n.should_send({})
    assert n.mode({"nouvelle_candidature": DIGEST}) == DIGEST
    assert n.mode({"nouvelle_candidature": NONE}) == NONE and not n.should_send({"nouvelle_candidature": NONE})
    assert n.mode({"nouvelle_candidature": "n'importe quoi"}) == IMMEDIATE  # a stale value falls back


@pytest.mark.parametrize("name", ["invitation", "mot_de_passe"])
def test_account_mails_cannot_be_turned_off(name):
    kind = registry.get(name)
    assert not kind.can_be_disabled and kind.secret and not kind.in_app
    assert kind(EMPLOYER, {}, link="/").mode({name: NONE}) == IMMEDIATE


def test_a_kind_refuses_a_recipient_of_another_role():
    with pytest.raises(ValueError):
        registry.get("nouvelle_candidature")({"role": "cre"}, {}, link="/")


def test_the_preferences_page_lists_only_mail_kinds_of_the_role():
    employer = {k.kind for k in registry.choosable_for("employer")}
    assert "nouvelle_candidature" in employer and "reponse_employeur" not in employer
    assert "echec_envoi" not in {k.kind for k in registry.choosable_for("admin")}  # in-app only


def test_registering_an_incomplete_or_duplicate_kind_fails():
    local = NotificationRegistry()

    class NoTemplate(Notification):
        kind, label, category, roles = "x", "X", Category.PROPOSALS, frozenset({"cre"})

    with pytest.raises(TypeError):
        local.register(NoTemplate)

    class Forced(Notification):
        kind, label, category, roles, template = "y", "Y", Category.ACCOUNT, frozenset({"cre"}), "invitation"
        can_be_disabled, default_mode = False, DIGEST

    with pytest.raises(TypeError):
        local.register(Forced)
    local.register(registry.get("invitation"))
    with pytest.raises(ValueError):
        class Again(registry.get("invitation")):
            pass
        local.register(Again)
    assert notifications.MODES.keys() == {IMMEDIATE, DIGEST, NONE}
