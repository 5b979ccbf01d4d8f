"""Helpers shared by the web tests (a module of its own: two conftest.py files cannot be imported by name)."""


def enter(client, space: str, org_id: str):
    """Enter a space (CRE of a structure, or employer) with a test client."""
    response = client.post("/espace", data={"space": space, "org_id": org_id})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client
