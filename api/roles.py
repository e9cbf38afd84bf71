"""Project roles and what each may do."""

from __future__ import annotations

from enum import Enum


class Role(str, Enum):
    """A user's role in one project; each includes the rights of the ones below it."""

    VIEWER = "viewer"
    MEMBER = "member"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """Order of privilege: viewer < member < admin."""
        return _RANK[self]

    def allows(self, needed: Role) -> bool:
        """True if this role includes ``needed``."""
        return self.rank >= needed.rank


_RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2}
