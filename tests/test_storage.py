"""Storage: the schema, transactions, uniqueness, the change log and the proposal history."""
import pytest

import storage
import workflow


@pytest.fixture
def db(tmp_path):
    db = storage.connect(tmp_path / "t.sqlite")
    storage.upsert_organisation(db, {"id": "S1", "kind": "siae", "name": "ACI"})
    storage.upsert_organisation(db, {"id": "S2", "kind": "siae", "name": "AI"})
    storage.upsert_organisation(db, {"id": "E1", "kind": "employer", "name": "Entreprise"})
    return db


def profile(ref="R-1", siae="S1", **kw):
    return {"reference": ref, "first_name": "Awa", "siae_id": siae, "skills_text": "couture",
            "consent_at": "2026-01-05T09:00:00+00:00", "consent_by": "CRE", **kw}


def need(ref="N-1", **kw):
    return {"reference": ref, "employer_id": "E1", "title": "Câbleuse", "positions": 1, **kw}


def test_database_file_is_created_on_first_connect(tmp_path):
    path = tmp_path / "sub" / "new.sqlite"
    storage.connect(path)
    assert path.exists()


def test_init_schema_is_idempotent(db):
    storage.init_schema(db)
    storage.init_schema(db)
    assert db["profiles"].exists()


def test_json_columns_round_trip(db):
    pid = storage.create_profile(db, profile(experiences=["plongeur"], eligibility=["RSA"]))
    row = storage.get_profile(db, pid)
    assert row["experiences"] == ["plongeur"] and row["eligibility"] == ["RSA"] and row["skill_map"] == []


def test_duplicate_reference_is_a_conflict_and_stores_nothing(db):
    storage.create_profile(db, profile())
    with pytest.raises(storage.Conflict, match="déjà utilisée"):
        storage.create_profile(db, profile())
    assert db["profiles"].count == 1


def test_upsert_is_all_or_nothing(db):
    storage.create_profile(db, profile("R-0", siae="S2"))
    rows = [profile("R-1"), profile("R-2"), profile("R-0")]  # the last one belongs to S2
    with pytest.raises(storage.Conflict, match="autre structure"):
        storage.upsert_profiles(db, rows)
    assert db["profiles"].count == 1


def test_reimporting_the_same_rows_changes_nothing(db):
    rows = [profile("R-1"), profile("R-2")]
    assert storage.upsert_profiles(db, rows) == {"created": 2, "updated": 0, "unchanged": 0}
    assert storage.upsert_profiles(db, rows) == {"created": 0, "updated": 0, "unchanged": 2}
    changed = [profile("R-1", first_name="Aïcha"), profile("R-2")]
    assert storage.upsert_profiles(db, changed) == {"created": 0, "updated": 1, "unchanged": 1}
    assert db["profiles"].count == 2


def test_every_profile_write_is_logged_for_the_index(db):
    start = storage.last_profile_change(db)
    pid = storage.create_profile(db, profile())
    storage.update_profile(db, pid, {"first_name": "Awa B."})
    storage.set_profile_archived(db, pid, True)
    seq, changed = storage.profile_changes_since(db, start)
    assert changed == [pid] and seq == start + 3
    assert storage.profile_changes_since(db, seq) == (seq, [])


def test_proposal_history_and_hire_fills_the_need(db):
    nid = storage.create_need(db, need())
    pid = storage.create_profile(db, profile())
    prop = storage.create_proposal(db, need_id=nid, profile_id=pid, message="motivée", score=0.7,
                                   explanation={"direct": ["Couture"]}, proposed_by="ACI")
    for state in (workflow.SEEN, workflow.INTERVIEW, workflow.HIRED):
        storage.transition_proposal(db, prop, state, actor="E1")
    storage.add_proposal_note(db, prop, "Point à un mois : tout va bien", actor="ACI")
    events = storage.proposal_events(db, prop)
    assert [e["to_status"] for e in events] == ["proposee", "vue", "entretien", "embauchee", "embauchee"]
    assert events[-1]["note"] == "Point à un mois : tout va bien"
    assert storage.get_need(db, nid)["status"] == "pourvu"
    assert storage.get_proposal(db, prop)["explanation"] == {"direct": ["Couture"]}


def test_a_person_is_proposed_once_per_need(db):
    nid, pid = storage.create_need(db, need()), storage.create_profile(db, profile())
    args = dict(need_id=nid, profile_id=pid, message="", score=0.5, explanation={}, proposed_by="ACI")
    storage.create_proposal(db, **args)
    with pytest.raises(storage.Conflict, match="déjà été proposée"):
        storage.create_proposal(db, **args)


def test_illegal_transition_is_a_conflict_and_leaves_the_state(db):
    nid, pid = storage.create_need(db, need()), storage.create_profile(db, profile())
    prop = storage.create_proposal(db, need_id=nid, profile_id=pid, message="", score=0.5, explanation={},
                                   proposed_by="ACI")
    with pytest.raises(storage.Conflict, match="motif"):
        storage.transition_proposal(db, prop, workflow.REFUSED, actor="E1")
    assert storage.get_proposal(db, prop)["status"] == workflow.PROPOSED
    assert len(storage.proposal_events(db, prop)) == 1


def test_archived_profile_cannot_be_proposed(db):
    nid, pid = storage.create_need(db, need()), storage.create_profile(db, profile())
    storage.set_profile_archived(db, pid, True)
    with pytest.raises(storage.Conflict, match="archivé"):
        storage.create_proposal(db, need_id=nid, profile_id=pid, message="", score=0, explanation={}, proposed_by="x")


def test_counts_cover_every_state(db):
    counts = storage.proposal_counts(db)
    assert list(counts) == list(workflow.STATES) and set(counts.values()) == {0}


def test_internal_notes_are_hidden_from_the_shared_history(db):
    nid, pid = storage.create_need(db, need()), storage.create_profile(db, profile())
    prop = storage.create_proposal(db, need_id=nid, profile_id=pid, message="Motivée", score=0.5, explanation={},
                                   proposed_by="ACI")
    storage.add_proposal_note(db, prop, "suivi psy", actor="ACI")
    storage.transition_proposal(db, prop, workflow.SEEN, actor="ACI", note="confidentiel", internal=True)
    storage.transition_proposal(db, prop, workflow.INTERVIEW, actor="E1", note="lundi 9 h")
    shared = storage.proposal_events(db, prop, shared_only=True)
    assert [(e["to_status"], e["note"]) for e in shared] == [
        ("proposee", "Motivée"), ("vue", ""), ("entretien", "lundi 9 h")]
    assert len(storage.proposal_events(db, prop)) == 4


def test_a_person_without_consent_cannot_be_proposed(db):
    nid, pid = storage.create_need(db, need()), storage.create_profile(db, profile(consent_at=None))
    with pytest.raises(storage.Conflict, match="pas donné son accord"):
        storage.create_proposal(db, need_id=nid, profile_id=pid, message="", score=0, explanation={}, proposed_by="x")


@pytest.fixture
def listener():
    """A proposal listener recording what it receives, removed after the test."""
    from storage import proposals

    seen = []

    def record(db, change):
        seen.append((change.previous_status, change.proposal["status"], change.actor, change.note))
        if change.note == "boom":
            raise RuntimeError("listener failed")

    storage.on_proposal_change(record)
    storage.on_proposal_change(record)  # registering twice runs it once
    yield seen
    proposals._LISTENERS.remove(record)


def test_listeners_see_each_creation_and_move_once(db, listener):
    nid, pid = storage.create_need(db, need()), storage.create_profile(db, profile())
    prop = storage.create_proposal(db, need_id=nid, profile_id=pid, message="motivée", score=0.5, explanation={},
                                   proposed_by="ACI")
    storage.transition_proposal(db, prop, workflow.SEEN, actor="E1")
    storage.add_proposal_note(db, prop, "suivi", actor="ACI")  # a note is not a change of state
    assert listener == [(None, "proposee", "ACI", "motivée"), ("proposee", "vue", "E1", "")]


def test_a_failing_listener_undoes_the_change_it_was_told_of(db, listener):
    nid, pid = storage.create_need(db, need()), storage.create_profile(db, profile())
    prop = storage.create_proposal(db, need_id=nid, profile_id=pid, message="", score=0.5, explanation={},
                                   proposed_by="ACI")
    with pytest.raises(RuntimeError):
        storage.transition_proposal(db, prop, workflow.SEEN, actor="E1", note="boom")
    assert storage.get_proposal(db, prop)["status"] == workflow.PROPOSED
    assert len(storage.proposal_events(db, prop)) == 1
