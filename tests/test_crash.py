"""A server killed with SIGKILL mid-stream loses no acknowledged write and leaves none half done.

A few threads stream writes at a one-process server: creates that put the new contact on two lists
and give it two tags, updates of contacts already acknowledged, and inbound messages (which also
open the contact's chat window). While requests are in flight the server is killed, with no
chance to shut down, then started again on the same database; this happens three times. After
each restart the database must hold every write that was answered 2xx, whole, and every contact in
the account (those whose answers were cut off included) must have exactly its two memberships and
its two tags, because a create is one transaction. On SQLite the file the crash left behind must
pass ``PRAGMA integrity_check``.
"""

import random
import sqlite3
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url

from contacthub.models import Contact, ContactTag, ListMembership, Message, Tag
from tests.factories import Account, phone
from tests.reliability import record
from tests.server import Server

SEED = 20261126
THREADS = 6
KILLS = 3
STREAM_SECONDS = 1.5  # before each kill
TAGS = ["alpha", "beta"]


@dataclass
class Write:
    """One write sent, and its answer (``status`` None: the answer never came)."""

    kind: str  # "create", "update" or "message"
    body: dict[str, Any]
    contact_id: str | None  # for a create, known only from its answer
    status: int | None = None
    reply: Any = None
    error: str | None = None


class Stream:
    """The writes of every thread, and which contacts each thread may update or message."""

    def __init__(self, key: str, list_ids: list[str]) -> None:
        self.key = key
        self.list_ids = list_ids
        self.writes: list[Write] = []
        self.mine: dict[int, list[str]] = defaultdict(list)
        self.in_flight = 0
        self.killed = False
        self.lock = threading.Lock()

    def run(self, index: int, round_: int, server: Server, stop: threading.Event) -> None:
        """Send writes one after another until told to stop."""
        rng = random.Random(SEED * 100 + round_ * 10 + index)
        with httpx.Client(base_url=server.url, headers={"X-API-Key": self.key}, timeout=30) as http:
            while not stop.is_set():
                write = self.next_write(index, rng)
                path = {
                    "create": "/v1/contacts",
                    "update": f"/v1/contacts/{write.contact_id}",
                    "message": f"/v1/contacts/messages/{write.contact_id}",
                }[write.kind]
                with self.lock:
                    self.writes.append(write)
                    self.in_flight += 1
                try:
                    method = "PUT" if write.kind == "update" else "POST"
                    response = http.request(method, path, json=write.body)
                except httpx.TransportError as exc:
                    if not self.killed:
                        write.error = f"no answer from a live server: {exc!r}"
                    elif isinstance(exc, httpx.ConnectError):
                        write.error = "refused"  # the server was already dead: never reached
                    else:
                        write.error = "cut off"  # in flight when it died: unknown outcome
                    return
                finally:
                    with self.lock:
                        self.in_flight -= 1
                write.status = response.status_code
                try:
                    write.reply = response.json()
                except ValueError:
                    write.reply = response.text
                if write.kind == "create" and write.status == 200:
                    write.contact_id = write.reply["data"]["contactId"]
                    self.mine[index].append(write.contact_id)

    def next_write(self, index: int, rng: random.Random) -> Write:
        mine = self.mine[index]
        roll = rng.random()
        if not mine or roll < 0.6:
            body = {
                "phoneNumber": phone(),
                "firstName": f"t{index}",
                "listIds": self.list_ids,
                "tags": TAGS,
            }
            return Write("create", body, None)
        contact_id = rng.choice(mine)
        if roll < 0.8:
            return Write("update", {"lastName": f"u{uuid.uuid4().hex[:8]}"}, contact_id)
        body = {"direction": "inbound", "body": "hi", "messageSid": f"SM{uuid.uuid4().hex}"}
        return Write("message", body, contact_id)


def setup_lists(server: Server, key: str) -> list[str]:
    ids = []
    for name in ("crash-a", "crash-b"):
        response = httpx.post(
            f"{server.url}/v1/lists", json={"name": name}, headers={"X-API-Key": key}, timeout=30
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["data"]["id"])
    return ids


def sqlite_check(database_url: str) -> list[str]:
    """What SQLite says of the file: ``["ok"]`` when sound, plus any foreign key left dangling."""
    with sqlite3.connect(str(make_url(database_url).database)) as conn:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        problems += [repr(row) for row in conn.execute("PRAGMA foreign_key_check")]
    conn.close()
    return problems


@dataclass
class Findings:
    verified: int
    lost: list[str]
    half_done: list[str]
    phantoms: list[str]
    failed: list[str]
    cut_off_applied: int


def verify(engine: Engine, account_id: str, stream: Stream) -> Findings:
    """Compare the database with what the answers acknowledged."""
    with engine.connect() as conn:
        contacts = {
            row.id: row
            for row in conn.execute(
                select(Contact.id, Contact.phone_number, Contact.first_name, Contact.last_name)
                .add_columns(Contact.chat_window_until)
                .where(Contact.account_id == account_id)
            )
        }
        lists: dict[str, set[str]] = defaultdict(set)
        for contact_id, list_id in conn.execute(
            select(ListMembership.contact_id, ListMembership.list_id).where(
                ListMembership.account_id == account_id
            )
        ):
            lists[contact_id].add(list_id)
        tags: dict[str, set[str]] = defaultdict(set)
        for contact_id, name in conn.execute(
            select(ContactTag.contact_id, Tag.name)
            .join(Tag, (Tag.account_id == ContactTag.account_id) & (Tag.id == ContactTag.tag_id))
            .where(ContactTag.account_id == account_id)
        ):
            tags[contact_id].add(name)
        messages = {
            row.message_sid: row
            for row in conn.execute(
                select(Message.id, Message.message_sid, Message.contact_id).where(
                    Message.account_id == account_id
                )
            )
        }

    lost, half_done, phantoms, failed = [], [], [], []
    verified = cut_off_applied = 0
    writes = list(stream.writes)
    creates = {w.body["phoneNumber"]: w for w in writes if w.kind == "create"}

    # Every contact, acknowledged or not, is whole: both lists and both tags, or not there.
    for contact_id, row in contacts.items():
        if lists[contact_id] != set(stream.list_ids) or tags[contact_id] != set(TAGS):
            half_done.append(
                f"{contact_id}: lists {sorted(lists[contact_id])}, tags {sorted(tags[contact_id])}"
            )
        write = creates.get(row.phone_number)
        if write is None:
            phantoms.append(f"{contact_id}: {row.phone_number} was never sent")
        elif write.status is None:
            cut_off_applied += 1
        elif write.status != 200 or write.reply["data"]["contactId"] != contact_id:
            phantoms.append(f"{contact_id}: its create was answered {write.status} {write.reply}")

    for write in writes:
        if write.status is None:
            continue
        if write.status not in (200, 201):  # every write of the stream is meant to succeed
            failed.append(f"{write.kind} {write.body} was answered {write.status} {write.reply}")
        elif write.kind == "create":
            made = contacts.get(write.reply["data"]["contactId"])
            if made is None or made.first_name != write.body["firstName"]:
                lost.append(f"acknowledged create {write.reply} {write.body}: stored {made}")
            else:
                verified += 1
        elif write.kind == "message":
            stored = messages.get(write.body["messageSid"])
            if stored is None or stored.id != write.reply["data"]["id"]:
                lost.append(f"acknowledged message {write.reply['data']['id']}: stored {stored}")
            else:
                verified += 1

    # An acknowledged update holds unless a later update of the same contact was sent after it
    # (each thread updates its own contacts one request at a time, so "later" is well defined).
    updates: dict[str, list[Write]] = defaultdict(list)
    for write in writes:
        if write.kind == "update":
            updates[write.contact_id or ""].append(write)
    for contact_id, sent in updates.items():
        updated = contacts.get(contact_id)
        cut_off_applied += sum(
            1 for w in sent if w.error and updated and updated.last_name == w.body["lastName"]
        )
        acked = [i for i, w in enumerate(sent) if w.status == 200]
        if not acked:
            continue
        possible = {w.body["lastName"] for w in sent[acked[-1] :]}
        if updated is None or updated.last_name not in possible:
            lost.append(f"acknowledged update {sent[acked[-1]].body} of {contact_id}: {updated}")
        else:
            verified += 1  # the last acknowledged one; earlier ones were overwritten by it

    # Messages whose answers were cut off may be there, whole (an inbound message opens the chat
    # window in the same transaction); nothing else may.
    sent_sids = {w.body["messageSid"] for w in writes if w.kind == "message"}
    cut_off_applied += sum(
        1 for w in writes if w.kind == "message" and w.error and w.body["messageSid"] in messages
    )
    for sid, message in messages.items():
        if sid not in sent_sids:
            phantoms.append(f"message {message.id} ({sid}) was never sent")
        owner = contacts.get(message.contact_id)
        if owner is None or owner.chat_window_until is None:
            half_done.append(f"message {message.id} stored, chat window of {owner} not opened")
    return Findings(verified, lost, half_done, phantoms, failed, cut_off_applied)


@pytest.mark.slow
def test_sigkill_mid_stream_loses_no_acknowledged_write(
    database_url: str, engine: Engine, account: Account
) -> None:
    database = engine.dialect.name
    server = Server(database_url).start()
    stream = Stream(account.key, setup_lists(server, account.key))
    in_flight_at_kill: list[int] = []
    integrity: list[list[str]] = []
    findings: list[Findings] = []
    try:
        for round_ in range(KILLS):
            stop = threading.Event()
            threads = [
                threading.Thread(target=stream.run, args=(i, round_, server, stop))
                for i in range(THREADS)
            ]
            for thread in threads:
                thread.start()
            time.sleep(STREAM_SECONDS)
            with stream.lock:
                in_flight_at_kill.append(stream.in_flight)
                stream.killed = True
            server.kill()
            stop.set()
            for thread in threads:
                thread.join()
            if database == "sqlite":
                integrity.append(sqlite_check(database_url))  # the file as the crash left it

            server = Server(database_url).start()
            stream.killed = False
            findings.append(verify(engine, account.id, stream))

        # The restarted server reads what was acknowledged, and takes new writes.
        with httpx.Client(
            base_url=server.url, headers={"X-API-Key": account.key}, timeout=30
        ) as http:
            acknowledged = [
                w.contact_id for w in stream.writes if w.kind == "create" and w.status == 200
            ]
            for contact_id in acknowledged:
                shown = http.get(f"/v1/contacts/{contact_id}")
                assert shown.status_code == 200, shown.text
                assert sorted(shown.json()["data"]["listIds"]) == sorted(stream.list_ids)
                assert sorted(shown.json()["data"]["tags"]) == TAGS
            created = http.post(
                "/v1/contacts",
                json={"phoneNumber": phone(), "listIds": stream.list_ids, "tags": TAGS},
            )
            assert created.status_code == 200, created.text
            new_id = created.json()["data"]["contactId"]
            assert http.get(f"/v1/contacts/{new_id}").json()["data"]["tags"] == TAGS
            with engine.connect() as conn:
                contacts = conn.scalar(select(func.count()).where(Contact.account_id == account.id))
            for list_id in stream.list_ids:  # every contact is on both lists
                shown = http.get(f"/v1/lists/{list_id}")
                assert shown.json()["data"]["contactCount"] == contacts
    finally:
        server.stop()
    if database == "sqlite":
        integrity.append(sqlite_check(database_url))

    writes = stream.writes
    last = findings[-1]
    record(
        "crash",
        database,
        {
            "faults_injected": len(in_flight_at_kill),
            "fault": "SIGKILL of the one server process, then a restart on the same database",
            "requests_in_flight_at_each_kill": in_flight_at_kill,
            "writes_sent": len(writes),
            "writes_acknowledged": sum(1 for w in writes if w.status in (200, 201)),
            "writes_cut_off": sum(1 for w in writes if w.error == "cut off"),
            "writes_refused_after_kill": sum(1 for w in writes if w.error == "refused"),
            "cut_off_writes_found_applied": last.cut_off_applied,
            "writes_verified": last.verified,
            "writes_lost": len(last.lost),
            "half_done": len(last.half_done),
            "phantoms": len(last.phantoms),
            "failed": len(last.failed),
            "sqlite_integrity_check": [" ".join(r) for r in integrity] or None,
        },
    )

    assert sum(in_flight_at_kill) > 0, "no request was in flight at any kill"
    dropped = [w for w in writes if w.error and w.error.startswith("no answer")]
    assert dropped == []
    for found in findings:
        assert found.lost == []
        assert found.half_done == []
        assert found.phantoms == []
        assert found.failed == []
    assert last.verified > 0
    assert all(result == ["ok"] for result in integrity)
