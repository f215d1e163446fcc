"""After an outage each web process replays the deliveries it could not hand to the broker:
merged into full batches, not one small task per request that caused them."""

from __future__ import annotations

from common.broker import Breaker, breaker
from notifications.services import DELIVER_TASK


def test_skipped_deliveries_are_replayed_in_full_batches_and_other_tasks_as_they_were():
    size = breaker.batched[DELIVER_TASK]
    assert size >= 10
    requests = [(DELIVER_TASK, [[pk, pk + 1, pk + 2, pk + 3, pk + 4]]) for pk in range(1, 1001, 5)]
    other = ("reports.tasks.document_text_build", [7])
    replay = Breaker()
    replay.batched = dict(breaker.batched)

    merged = replay.merged([*requests[:3], other, *requests[3:]])

    assert other in merged
    deliveries = [args[0] for name, args in merged if name == DELIVER_TASK]
    assert [pk for batch in deliveries for pk in batch] == list(range(1, 1001))
    assert all(len(batch) == size for batch in deliveries[:-1])
    assert len(deliveries) == -(-1000 // size)
