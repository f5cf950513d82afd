"""Migration 0005 fills each contact's activity from the messages stored before it, on both
databases: a fresh database at 0004, rows written as that schema had them, then the upgrade."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, create_engine, text

from contacthub.migrations import upgrade
from tests.conftest import _postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind, not yet migrated."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/backfill.db"
    else:
        yield from _postgres_database()


def naive(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A UTC time as the schema stores it: naive (core/clock.py)."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC).replace(tzinfo=None)


def _insert(conn: Connection, table: str, **values: object) -> None:
    names = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({marks})"), values)


def test_the_upgrade_fills_the_activity_of_the_messages_already_stored(fresh_database: str) -> None:
    upgrade(fresh_database, "0004")
    engine = create_engine(fresh_database)
    now = naive(2026, 11, 30, 12)
    try:
        with engine.begin() as conn:
            _insert(conn, "accounts", id="acc_1", name="before-0005", created_at=now)
            for contact in ("ct_talked", "ct_silent"):
                _insert(
                    conn,
                    "contacts",
                    account_id="acc_1",
                    id=contact,
                    phone_number=None,
                    first_name="A",
                    last_name="B",
                    is_bot_active=True,
                    do_not_disturb=False,
                    custom_fields="{}",
                    created_at=now,
                    updated_at=now,
                )
            messages = [
                ("msg_1", "inbound", "contact", naive(2026, 11, 26, 10, 0)),
                ("msg_2", "outbound", "bot", naive(2026, 11, 26, 10, 5)),
                ("msg_3", "outbound", "bot", naive(2026, 11, 27, 9, 0)),
                ("msg_4", "inbound", "contact", naive(2026, 11, 26, 11, 0)),
                ("msg_5", "outbound", "agent", naive(2026, 11, 26, 12, 0)),
            ]
            for message_id, direction, sender, timestamp in messages:
                _insert(
                    conn,
                    "messages",
                    account_id="acc_1",
                    id=message_id,
                    contact_id="ct_talked",
                    direction=direction,
                    sender=sender,
                    type="text",
                    body="x",
                    timestamp=timestamp,
                    metadata="{}",
                    created_at=now,
                )

        upgrade(fresh_database)

        with engine.connect() as conn:
            rows = {
                row.id: row
                for row in conn.execute(
                    text(
                        "SELECT id, last_incoming_message_at, last_activity_at, bot_message_count,"
                        " do_not_disturb_reason FROM contacts ORDER BY id"
                    )
                )
            }
            country = conn.scalar(text("SELECT default_country FROM accounts"))
    finally:
        engine.dispose()

    talked, silent = rows["ct_talked"], rows["ct_silent"]
    assert _naive(talked.last_incoming_message_at) == naive(2026, 11, 26, 11, 0)
    assert _naive(talked.last_activity_at) == naive(2026, 11, 27, 9, 0)
    assert talked.bot_message_count == 2
    assert (silent.last_incoming_message_at, silent.last_activity_at) == (None, None)
    assert silent.bot_message_count == 0
    assert talked.do_not_disturb_reason is None and country is None


def _naive(value: datetime | str) -> datetime:
    """A stored time as a naive datetime (SQLite keeps it as text)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value
