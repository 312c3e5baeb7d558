from __future__ import annotations

import pytest

from server.domain.lifecycle import ClassStatus
from server.errors import InvalidState

LEGAL = {
    (ClassStatus.SCHEDULED, ClassStatus.LIVE),
    (ClassStatus.SCHEDULED, ClassStatus.CANCELLED),
    (ClassStatus.LIVE, ClassStatus.ENDED),
    (ClassStatus.LIVE, ClassStatus.CANCELLED),
}


@pytest.mark.parametrize("current", list(ClassStatus))
@pytest.mark.parametrize("target", list(ClassStatus))
def test_only_the_documented_moves_are_allowed(current: ClassStatus, target: ClassStatus) -> None:
    if (current, target) in LEGAL:
        assert current.require_move(target) is target
    else:
        with pytest.raises(InvalidState) as caught:
            current.require_move(target)
        assert caught.value.details == {"status": current.value, "requested": target.value}


@pytest.mark.parametrize("status", [ClassStatus.ENDED, ClassStatus.CANCELLED])
def test_final_states_refuse_edits(status: ClassStatus) -> None:
    assert status.is_final
    with pytest.raises(InvalidState):
        status.require_editable()


@pytest.mark.parametrize("status", [ClassStatus.SCHEDULED, ClassStatus.LIVE])
def test_open_states_accept_edits(status: ClassStatus) -> None:
    status.require_editable()
    assert not status.is_final
