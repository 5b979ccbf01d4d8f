"""Each space (CRE, employer, buyer) is open to the logged-in users of that role only."""
from __future__ import annotations

from typing import Callable

from .auth import current_org, current_user, role_required

__all__ = ["current_org", "current_user", "space_required"]


def space_required(space: str) -> Callable:
    """Guard of a blueprint: the user must be logged in with this role (else login, or 403)."""
    return role_required(space)
