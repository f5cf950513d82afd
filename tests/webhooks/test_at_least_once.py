"""At least once, in small: a few hundred changes while the worker process is SIGKILLed three
times and the API process once; every event of the feed reaches the receiver.

The same run as ``python -m bench.at_least_once`` (which makes 100,000 changes), on the test
database, with leases of 2 s so that a killed worker's deliveries come back within the test. It
fails if a kill can lose a delivery: e.g. a worker that recorded success before sending loses
the batch it was sending when killed (tried: see docs/reliability.md).
"""

import pytest
from bench.at_least_once import run
from sqlalchemy import Engine

from tests.factories import make_account
from tests.reliability import record

pytestmark = pytest.mark.slow

CHANGES = 150


def test_every_event_is_delivered_while_workers_are_killed(
    database_url: str, engine: Engine
) -> None:
    account = make_account(engine)
    figures = run(
        database_url,
        account.id,
        account.key,
        changes=CHANGES,
        threads=3,
        kill_every=1.0,
        min_kills=3,
        lease_seconds=2,
        max_seconds=40,
        drain_seconds=30,
    )
    record("at_least_once", engine.dialect.name, figures.__dict__)
    assert figures.changes_sent == CHANGES
    assert figures.worker_kills >= 3
    assert figures.api_kills == 1
    assert figures.acknowledged + figures.unknown == CHANGES, figures.refused
    assert figures.events >= figures.acknowledged  # every acknowledged change made its event
    assert figures.bad_signatures == 0
    assert figures.missing == 0
    assert figures.delivered == figures.events
    assert figures.strangers == 0
    assert figures.pending_left == 0
