"""Users online in one class, kept in name order so a page of them costs its size.

The same order as the Redis view of :mod:`.presence`: by case-folded name,
then user id (the sort key :func:`name_key` writes).
"""

from __future__ import annotations

from bisect import bisect_left, insort

from ..schemas.common import UserRef

__all__ = ["Roster", "name_key"]


def name_key(user: UserRef) -> str:
    """What users sort by: case-folded name, then id (NUL sorts before any character)."""
    return f"{user.name.casefold()}\x00{user.id}"


class Roster:
    def __init__(self) -> None:
        self._users: dict[str, UserRef] = {}
        self._order: list[tuple[str, str]] = []  # (name_key, user id), sorted

    def __len__(self) -> int:
        return len(self._users)

    def __contains__(self, user_id: str) -> bool:
        return user_id in self._users

    def add(self, user: UserRef) -> None:
        if user.id not in self._users:
            self._users[user.id] = user
            insort(self._order, (name_key(user), user.id))

    def remove(self, user_id: str) -> UserRef | None:
        user = self._users.pop(user_id, None)
        if user is not None:
            entry = (name_key(user), user_id)
            del self._order[bisect_left(self._order, entry)]
        return user

    def get(self, user_id: str) -> UserRef | None:
        return self._users.get(user_id)

    def ids(self) -> list[str]:
        return list(self._users)

    def page(self, offset: int, limit: int) -> list[UserRef]:
        return [self._users[user_id] for _, user_id in self._order[offset : offset + limit]]
