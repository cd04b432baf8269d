"""Conversions are handed out in turn among callers (security review, finding 6): one agency's long
register cannot keep the LibreOffice workers from another agency's one-page form."""

from __future__ import annotations

import pytest

from forms_service.convert.fair import FairHandout, HandoutTimeout
from tests.conftest import signed_form


def test_a_freed_worker_goes_to_the_next_caller_in_turn_not_to_whoever_asks_again_first():
    handout = FairHandout(["w1", "w2"])
    busy = [handout.take("big", 1), handout.take("big", 1)]  # a long register holds both
    big = [handout.reserve("big") for _ in range(5)]  # and queues its next chunks
    small = handout.reserve("small")  # another agency's form arrives after them
    handout.give_back(busy[0])
    assert small.wait(0) == "w1" and not big[0].handed.is_set()
    handout.give_back(busy[1])
    assert big[0].wait(0) == "w2"


def test_callers_alternate_while_several_wait():
    handout = FairHandout(["w"])
    held = handout.take("a", 1)
    tickets = [handout.reserve(c) for c in ("a", "a", "a", "b", "b", "c")]
    order = []
    for _ in tickets:
        handout.give_back(held)
        ticket = next(t for t in tickets if t.handed.is_set() and t not in order)
        order.append(ticket)
        held = ticket.wait(0)
    assert [t.caller for t in order] == ["a", "b", "c", "a", "b", "a"]


def test_an_idle_worker_is_handed_at_once():
    handout = FairHandout(["w"])
    assert handout.take("a", 0) == "w"


def test_a_caller_that_waited_too_long_leaves_the_line():
    handout = FairHandout(["w"])
    held = handout.take("a", 1)
    with pytest.raises(HandoutTimeout):
        handout.take("b", 0.01)
    assert handout.waiting == {}
    handout.give_back(held)
    assert handout.take("c", 0) == "w"


def test_a_long_register_does_not_keep_the_pool_from_another_agencys_form(components):
    """GIVEN a register of 2,400 entries converting in chunks on both workers, WHEN another agency's
    one-page form arrives, THEN it is converted before the register's chunks are through."""
    import threading

    from tests.conftest import load_example

    started, finished = threading.Event(), []

    class Watching:
        """The real pool, watched: who converted what, in which order."""

        def __init__(self, pool):
            self.pool = pool

        def convert(self, docx, *, tagged=True, caller=""):
            started.set()
            pdf = self.pool.convert(docx, tagged=tagged, caller=caller)
            finished.append(caller)
            return pdf

        def close(self):
            pass

    watched = components.sharing(converter=Watching(components.converter))
    register = load_example("annex5-query-log")
    register["entries"] = register["entries"] * 200
    long_job = threading.Thread(target=watched.producer.produce, args=("annex5-query-log", register),
                                kwargs={"caller": "379010000A"})
    long_job.start()
    started.wait(60)  # the register's chunks hold the workers now
    signed_form(watched, "annex2-agreement", load_example("annex2-agreement"), caller="387000000A")
    chunks_before = finished.index("387000000A")
    long_job.join(120)
    assert finished.count("379010000A") > chunks_before + 2  # most of the register came after
