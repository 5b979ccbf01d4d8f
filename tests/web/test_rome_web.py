"""ROME in the app: the import command, ROME codes on profiles and needs, "pistes de métiers"."""
import shutil
from pathlib import Path

import storage
from web_helpers import enter

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini_rome"


def test_import_rome_replaces_a_release_in_one_transaction(runner, db, tmp_path):
    result = runner.invoke(args=["import-rome", str(MINI)])
    assert result.exit_code == 0 and "ROME v999 importé" in result.output
    assert storage.rome_version(db) == "v999" and db["rome_metiers"].count == 4
    newer = tmp_path / "rome"
    shutil.copytree(MINI, newer)
    for f in newer.glob("*_v999_*"):
        f.rename(f.with_name(f.name.replace("v999", "v1000")))
    with open(newer / "unix_referentiel_code_rome_v1000_utf8.csv", "a", encoding="utf-8") as handle:
        handle.write('"X1005","5","5","Agent / Agente de tri","","","","","","X1005"\n')
    assert runner.invoke(args=["import-rome", str(newer)]).exit_code == 0
    assert storage.rome_version(db) == "v1000" and db["rome_metiers"].count == 5
    broken = tmp_path / "broken"
    shutil.copytree(newer, broken)
    (broken / "unix_item_v1000_utf8.csv").unlink()
    failed = runner.invoke(args=["import-rome", str(broken)])
    assert failed.exit_code != 0 and "fichiers manquants" in failed.output
    assert storage.rome_version(db) == "v1000" and db["rome_metiers"].count == 5    # the old release stays


def test_wrong_folder_is_a_clear_error(runner):
    result = runner.invoke(args=["import-rome", "/nulle/part"])
    assert result.exit_code != 0 and "dossier introuvable" in result.output


def test_profile_gets_its_rome_code_and_career_paths(app, runner, db):
    runner.invoke(args=["import-rome", str(MINI)])
    cre = enter(app.test_client(), "cre", "S1")
    response = cre.post("/cre/profils/nouveau", data={
        "reference": "ROME-001", "first_name": "Amina", "skills_text": "couture", "experiences": "couturière",
        "action": "enregistrer"})
    row = storage.profile_by_reference(db, "ROME-001")
    assert row["rome_code"] == "X1001"
    page = cre.get(response.location).get_data(as_text=True)
    assert "Pistes de métiers" in page and "ROME v999" in page and "Câbleur / Câbleuse en électronique" in page


def test_without_rome_the_bundled_metiers_are_suggested(app, db):
    cre = enter(app.test_client(), "cre", "S1")
    person = storage.list_profiles(db, siae_id="S1")[0]
    page = cre.get(f"/cre/profils/{person['id']}").get_data(as_text=True)
    assert "Pistes de métiers" in page and "métiers de Passerelle" in page


def test_a_profile_coded_with_a_rome_metier_is_matched_on_its_core_skills(app, runner, db):
    runner.invoke(args=["import-rome", str(MINI)])
    cre = enter(app.test_client(), "cre", "S1")
    cre.post("/cre/profils/nouveau", data={"reference": "ROME-002", "first_name": "Kofi", "skills_text": "",
                                          "experiences": "câbleur", "consent": "oui", "action": "enregistrer"})
    row = storage.profile_by_reference(db, "ROME-002")
    assert row["rome_code"] == "X1002"
    from web.engine import engine

    with app.test_request_context():
        profile = engine().profile_for(row)
    assert {"electronique.cablage_filaire", "electronique.soudure_etain"} <= set(profile.implied_skill_ids)
