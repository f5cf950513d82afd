"""Bulk seeding: contacts and messages straight into the tables, in one transaction."""

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

from sqlalchemy import Connection, event, insert

from contacthub.core import db
from contacthub.core.ids import new_id
from contacthub.core.wire import fold
from contacthub.models import Base, Contact, Message

FIRST_NUMBER = 2_000_000  # contact n has the phone number +1415 (FIRST_NUMBER + n)
CHUNK = 50_000  # rows per executemany
HOT_SHARE = 10  # one message in ten belongs to the hot contact


def phone(n: int) -> str:
    """The phone number of the n-th seeded contact (valid E.164)."""
    return f"+1415{FIRST_NUMBER + n}"


@dataclass(frozen=True)
class Seeded:
    """What was seeded, and how long it took."""

    contacts: int
    messages: int
    hot_contact_id: str
    first_ids: list[str]  # the first 20,000 contacts' ids, for the bulk list add
    hot_messages: int
    seconds: float


def seed(url: str, account_id: str, contacts: int, messages: int) -> Seeded:
    """Insert ``contacts`` contacts and ``messages`` messages for the account."""
    started = time.perf_counter()
    engine = db.make_engine(url)
    if db.is_sqlite(engine):
        event.listen(engine, "connect", _unsafe_but_fast)
    try:
        with db.write(engine) as conn:
            ids = [new_id("contact") for _ in range(contacts)]
            now = datetime.now(UTC)
            _insert(conn, Contact, _contacts(account_id, ids, now))
            _insert(conn, Message, _messages(account_id, ids, messages, now))
        if not db.is_sqlite(engine):
            # What autovacuum would do a little later, done now so that it does not run under load.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
    finally:
        engine.dispose()
    return Seeded(
        contacts=contacts,
        messages=messages,
        hot_contact_id=ids[0],
        first_ids=ids[:20_000],
        hot_messages=len(range(0, messages, HOT_SHARE)),
        seconds=time.perf_counter() - started,
    )


def _unsafe_but_fast(dbapi_conn: Any, record: Any) -> None:
    """SQLite: no fsync and a 1 GB page cache while seeding (a crash would only lose the seed)."""
    dbapi_conn.execute("PRAGMA synchronous=OFF")
    dbapi_conn.execute("PRAGMA cache_size=-1000000")


def _insert(conn: Connection, model: type[Base], rows: Iterator[dict[str, Any]]) -> None:
    while chunk := list(islice(rows, CHUNK)):
        conn.execute(insert(model), chunk)


def _contacts(account_id: str, ids: list[str], now: datetime) -> Iterator[dict[str, Any]]:
    for n, contact_id in enumerate(ids):
        email = f"bench{n}@example.com"
        yield {
            "account_id": account_id,
            "id": contact_id,
            "phone_number": phone(n),
            "first_name": "Bench",
            "last_name": f"Contact{n}",
            # The folded names search compares q with (contacts.service._name_keys).
            "full_name_key": fold(f"Bench Contact{n}"),
            "last_name_key": fold(f"Contact{n}"),
            "email": email,
            "email_key": email,
            "channel": "whatsapp",
            "is_bot_active": True,
            "do_not_disturb": False,
            "custom_fields": {},
            "created_at": now,
            "updated_at": now,
        }


def _messages(
    account_id: str, ids: list[str], count: int, now: datetime
) -> Iterator[dict[str, Any]]:
    """Every HOT_SHARE-th message goes to ids[0], the others to random other contacts."""
    rng = random.Random(0)
    start = now - timedelta(seconds=count)
    for i in range(count):
        at = start + timedelta(seconds=i)
        inbound = i % 2 == 0
        yield {
            "account_id": account_id,
            "id": new_id("message"),
            "contact_id": ids[0] if i % HOT_SHARE == 0 else ids[rng.randrange(1, len(ids))],
            "direction": "inbound" if inbound else "outbound",
            "sender": "contact" if inbound else "bot",
            "type": "text",
            "body": f"Bench message {i}",
            "channel": "whatsapp",
            "status": "delivered",
            "message_sid": f"wamid.bench{i}",
            "timestamp": at,
            "metadata": {},
            "created_at": at,
        }
