from __future__ import annotations

import pytest

from errors import Conflict
from models import MeetingStatus as S
from routes.lifecycle import ACTIONS, allowed_actions, next_status

LEGAL = {
    (S.planned, "confirm"): S.confirmed, (S.rescheduled, "confirm"): S.confirmed,
    (S.planned, "start"): S.in_progress, (S.confirmed, "start"): S.in_progress, (S.rescheduled, "start"): S.in_progress,
    (S.in_progress, "complete"): S.completed,
    (S.planned, "cancel"): S.cancelled, (S.confirmed, "cancel"): S.cancelled, (S.rescheduled, "cancel"): S.cancelled,
    (S.planned, "reschedule"): S.rescheduled, (S.confirmed, "reschedule"): S.rescheduled,
    (S.rescheduled, "reschedule"): S.rescheduled,
    (S.planned, "no_show"): S.client_no_show, (S.confirmed, "no_show"): S.client_no_show,
    (S.rescheduled, "no_show"): S.client_no_show, (S.in_progress, "no_show"): S.client_no_show,
    (S.planned, "fail"): S.failed, (S.confirmed, "fail"): S.failed, (S.rescheduled, "fail"): S.failed,
    (S.in_progress, "fail"): S.failed,
}


@pytest.mark.parametrize("status, action", sorted(LEGAL, key=str))
def test_legal_transitions(status, action):
    assert next_status(status, action) == LEGAL[(status, action)]


ILLEGAL = [(status, action) for status in S for action in ACTIONS if (status, action) not in LEGAL]


@pytest.mark.parametrize("status, action", ILLEGAL, ids=[f"{s.value}-{a}" for s, a in ILLEGAL])
def test_every_illegal_transition_is_409_listing_the_allowed_ones(status, action):
    with pytest.raises(Conflict) as error:
        next_status(status, action)
    assert error.value.extra["allowed"] == allowed_actions(status)
    assert status.value in error.value.message


def test_final_states_allow_nothing():
    for status in (S.completed, S.cancelled, S.client_no_show, S.failed):
        assert allowed_actions(status) == []


def test_unknown_actions_are_refused():
    with pytest.raises(Conflict):
        next_status(S.planned, "teleport")
