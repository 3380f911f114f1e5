"""The periodic tasks run once per period however many consumers schedule them."""

from __future__ import annotations

import threading

from webapp.queue import get_huey
from webapp.tasks import first_in_period


def test_only_one_of_many_consumers_runs_a_periodic_task_per_period(app):
    """GIVEN eight threads standing for eight consumers WHEN all ask at once THEN exactly one may run it."""
    huey = get_huey(app)
    winners: list[bool] = []
    barrier = threading.Barrier(8)

    def consumer() -> None:
        barrier.wait()
        winners.append(first_in_period(huey, "test_task", period_seconds=3600))

    threads = [threading.Thread(target=consumer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(winners) == [False] * 7 + [True]
    assert first_in_period(huey, "another_task", period_seconds=3600) is True
