"""Fifty clients at once against a real two-process server: no 5xx, no duplicates, exact counts.

Each client is a thread with its own HTTP connection, sending a seeded random mix of writes over
a small pool of identities that every client shares (40 phone numbers in four spellings, 20
external ids, three lists, four tags in five spellings, 30 messageSids), so that one identity is
created, upserted, changed, listed and tagged by both server processes at once. Afterwards the
database is the judge: at most one contact per phone number and per external id, one message per
messageSid, exactly the contacts the answers said were created, exactly the list memberships the
answers acknowledged, and every contact's tags as the API shows them are its rows.

Under that load PostgreSQL sometimes found a deadlock between an upsert and a tag or list write on
one contact (answered 500). The last tests replay that interleaving step by step, on the service
layer with two connections, so that it shows on every run rather than now and then.
"""

import json
import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
import pytest
from sqlalchemy import Connection, Engine, event, func, select

from contacthub.contacts import service as contacts
from contacthub.contacts.schemas import ContactCreate, ContactUpsert
from contacthub.core import db
from contacthub.lists import service as lists
from contacthub.lists.schemas import ListCreate, Membership
from contacthub.models import Contact, ContactTag, ListMembership, Message, Tag
from contacthub.tags import service as tag_service
from contacthub.tags.schemas import TagRef
from tests.factories import Account, phone
from tests.reliability import record
from tests.server import Server

SEED = 20261126
CLIENTS = 50
REQUESTS_PER_CLIENT = 40  # 2,000 in all
TIME_BUDGET = 45.0  # seconds: a slow run stops early rather than drag on (the figures say so)

PHONES = [f"+1415555{n:04d}" for n in range(100, 140)]
EXTERNAL_IDS = [f"ext-{n:02d}" for n in range(20)]
LIST_NAMES = ["newsletter", "trial", "partners"]
# "VIP" is "vip" spelled otherwise: one tag, shown in whichever spelling came first.
TAGS = ["vip", "lead", "customer", "churned", "VIP"]
MESSAGE_SIDS = [f"SM{n:04d}" for n in range(30)]
# Well-formed, but no contact of any account: bulk adds must answer it as not found.
NO_SUCH_CONTACT = "ct_00000000000000000000000000"

# What each kind of request may answer here. Nothing is ever deleted, so every contact a request
# names exists and every list too; every body is well-formed. 409 is an identifier held by
# another contact. Anything else (a 400, a 404 for a contact that exists, any 5xx) is a bug.
ALLOWED = {
    "create": {200, 409},
    "upsert": {200, 409},
    "update": {200, 409},
    "tag": {200},
    "untag": {200},
    "add_to_list": {200},
    "bulk_add": {200},
    "message": {200, 201},
    "find": {200, 404},
}
WEIGHTS = {
    "create": 18,
    "upsert": 18,
    "update": 12,
    "tag": 10,
    "untag": 8,
    "add_to_list": 8,
    "bulk_add": 8,
    "message": 14,
    "find": 4,
}
NEEDS_A_CONTACT = {"update", "tag", "untag", "add_to_list", "bulk_add", "message"}


def spell(e164: str, rng: random.Random) -> str:
    """One of four spellings of a +1 number; all of them mean the same contact."""
    digits = e164[1:]
    area, exchange, line = digits[1:4], digits[4:7], digits[7:]
    return rng.choice(
        [e164, digits, f"+1 ({area}) {exchange}-{line}", f"1.{area}.{exchange}.{line}"]
    )


@dataclass
class Answer:
    """One request sent and what came back (``status`` None: no answer at all)."""

    kind: str
    method: str
    path: str
    body: Any
    status: int | None
    reply: Any = None

    def __str__(self) -> str:
        sent = "" if self.body is None else " " + json.dumps(self.body)
        return f"{self.method} {self.path}{sent} -> {self.status} {json.dumps(self.reply)}"


class Load:
    """What the clients share: the lists, the contacts they have heard of, every answer."""

    def __init__(self, list_ids: list[str]) -> None:
        self.list_ids = list_ids
        self._lock = threading.Lock()
        self._known: list[str] = []
        self.answers: list[Answer] = []

    def learn(self, contact_id: str) -> None:
        with self._lock:
            if contact_id not in self._known:
                self._known.append(contact_id)

    def known(self) -> list[str]:
        with self._lock:
            return list(self._known)

    def keep(self, answer: Answer) -> None:
        with self._lock:
            self.answers.append(answer)


def contact_fields(rng: random.Random, load: Load, *, lists: float, tags: float) -> dict[str, Any]:
    """Optional parts of a create or upsert body: a name, lists, tags."""
    body: dict[str, Any] = {"firstName": f"n{rng.randrange(1000)}"}
    if rng.random() < lists:
        body["listIds"] = rng.sample(load.list_ids, rng.randint(1, 2))
    if rng.random() < tags:
        body["tags"] = rng.sample(TAGS, rng.randint(1, 2))
    return body


def next_request(
    kind: str, rng: random.Random, load: Load
) -> tuple[str, str, dict[str, Any] | None]:
    """(method, path, JSON body) of one request of this kind."""
    known = load.known()
    contact_id = rng.choice(known) if known else ""
    body: dict[str, Any]
    if kind == "create":
        body = {"phoneNumber": spell(rng.choice(PHONES), rng)}
        if rng.random() < 0.3:
            body["externalId"] = rng.choice(EXTERNAL_IDS)
        return "POST", "/v1/contacts", body | contact_fields(rng, load, lists=0.5, tags=0.5)
    if kind == "upsert":
        body = {}
        if rng.random() < 0.6:
            body["phoneNumber"] = spell(rng.choice(PHONES), rng)
        if "phoneNumber" not in body or rng.random() < 0.3:
            body["externalId"] = rng.choice(EXTERNAL_IDS)
        return "POST", "/v1/contacts/upsert", body | contact_fields(rng, load, lists=0.4, tags=0.4)
    if kind == "update":
        body = {"lastName": f"l{rng.randrange(1000)}"}
        if rng.random() < 0.25:
            body["phoneNumber"] = spell(rng.choice(PHONES), rng)
        if rng.random() < 0.25:
            body["externalId"] = rng.choice([*EXTERNAL_IDS, None])
        return "PUT", f"/v1/contacts/{contact_id}", body
    if kind == "tag":
        tags: list[Any] = rng.sample(TAGS, rng.randint(1, 2))
        if rng.random() < 0.2:
            tags[0] = {"name": tags[0], "description": f"d{rng.randrange(100)}"}
        return "POST", f"/v1/contacts/{contact_id}/tags", {"tags": tags}
    if kind == "untag":
        return "DELETE", f"/v1/contacts/{contact_id}/tags/{rng.choice(TAGS)}", None
    if kind == "add_to_list":
        body = {"contactId": contact_id, "listId": rng.choice(load.list_ids)}
        return "POST", "/v1/contacts/lists", body
    if kind == "bulk_add":
        ids = rng.sample(known, min(len(known), rng.randint(1, 8)))
        if rng.random() < 0.3:
            ids.append(NO_SUCH_CONTACT)
        return "POST", f"/v1/lists/{rng.choice(load.list_ids)}/contacts", {"contactIds": ids}
    if kind == "message":
        body = {"direction": rng.choice(["inbound", "outbound"]), "body": "hello"}
        if rng.random() < 0.8:
            body["messageSid"] = rng.choice(MESSAGE_SIDS)
        return "POST", f"/v1/contacts/messages/{contact_id}", body
    assert kind == "find"
    return "GET", f"/v1/contacts?phoneNumber={spell(rng.choice(PHONES), rng)}", None


def learn_from(answer: Answer, load: Load) -> None:
    """Remember the contacts an answer names, for later requests to act on."""
    reply = answer.reply if isinstance(answer.reply, dict) else {}
    if answer.kind in ("create", "upsert") and answer.status == 200:
        load.learn(reply["data"]["contactId"])
    elif answer.status == 409 and "contactId" in reply:
        load.learn(reply["contactId"])


def run_client(
    index: int, server: Server, key: str, load: Load, start: threading.Barrier, deadline: float
) -> None:
    """One client: its own connection, its own seeded sequence of requests."""
    rng = random.Random(SEED * 100 + index)
    kinds, weights = list(WEIGHTS), list(WEIGHTS.values())
    with httpx.Client(base_url=server.url, headers={"X-API-Key": key}, timeout=30) as http:
        start.wait()
        for _ in range(REQUESTS_PER_CLIENT):
            if time.monotonic() > deadline:
                return
            kind = rng.choices(kinds, weights)[0]
            if kind in NEEDS_A_CONTACT and not load.known():
                kind = "create"
            method, path, body = next_request(kind, rng, load)
            try:
                response = http.request(method, path, json=body)
            except httpx.TransportError as exc:
                load.keep(Answer(kind, method, path, body, None, f"{type(exc).__name__}: {exc}"))
                continue
            try:
                reply = response.json()
            except ValueError:
                reply = response.text
            answer = Answer(kind, method, path, body, response.status_code, reply)
            load.keep(answer)
            learn_from(answer, load)


def make_lists(server: Server, key: str) -> list[str]:
    ids = []
    for name in LIST_NAMES:
        response = httpx.post(
            f"{server.url}/v1/lists", json={"name": name}, headers={"X-API-Key": key}, timeout=30
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["data"]["id"])
    return ids


@dataclass
class Stored:
    """What the database holds for the account once the load is over."""

    duplicate_phones: list[Any]
    duplicate_external_ids: list[Any]
    duplicate_sids: list[Any]
    contact_ids: set[str]
    memberships: set[tuple[str, str]]
    tags: dict[str, list[str]]
    messages: dict[str, str | None]


def read_database(engine: Engine, account_id: str) -> Stored:
    def duplicates(conn: Any, table: Any, column: Any) -> list[Any]:
        return list(
            conn.execute(
                select(table.account_id, column, func.count())
                .where(table.account_id == account_id, column.is_not(None))
                .group_by(table.account_id, column)
                .having(func.count() > 1)
            ).all()
        )

    with engine.connect() as conn:
        tags: dict[str, list[str]] = defaultdict(list)
        for contact_id, name in conn.execute(
            select(ContactTag.contact_id, Tag.name)
            .join(Tag, (Tag.account_id == ContactTag.account_id) & (Tag.id == ContactTag.tag_id))
            .where(ContactTag.account_id == account_id)
            .order_by(Tag.name_key)
        ):
            tags[contact_id].append(name)
        return Stored(
            duplicate_phones=duplicates(conn, Contact, Contact.phone_number),
            duplicate_external_ids=duplicates(conn, Contact, Contact.external_id),
            duplicate_sids=duplicates(conn, Message, Message.message_sid),
            contact_ids=set(
                conn.scalars(select(Contact.id).where(Contact.account_id == account_id))
            ),
            memberships={
                (list_id, contact_id)
                for list_id, contact_id in conn.execute(
                    select(ListMembership.list_id, ListMembership.contact_id).where(
                        ListMembership.account_id == account_id
                    )
                )
            },
            tags=tags,
            messages=dict(
                conn.execute(
                    select(Message.id, Message.message_sid).where(Message.account_id == account_id)
                ).all()
            ),
        )


def acknowledged_memberships(answers: list[Answer]) -> set[tuple[str, str]]:
    """Every (list, contact) pair that a successful answer put on a list."""
    pairs = set()
    for a in answers:
        if a.status != 200:
            continue
        if a.kind in ("create", "upsert"):
            contact_id = a.reply["data"]["contactId"]
            pairs |= {(list_id, contact_id) for list_id in a.body.get("listIds", [])}
        elif a.kind == "add_to_list":
            pairs.add((a.body["listId"], a.body["contactId"]))
        elif a.kind == "bulk_add":
            list_id = a.path.split("/")[3]
            not_found = set(a.reply["data"]["notFound"])
            pairs |= {(list_id, cid) for cid in a.body["contactIds"] if cid not in not_found}
    return pairs


def error_of(answer: Answer) -> str:
    """The machine code of an error answer."""
    return str(answer.reply.get("error")) if isinstance(answer.reply, dict) else "not JSON"


def tag_names(refs: list[Any]) -> set[str]:
    return {(ref if isinstance(ref, str) else ref["name"]).casefold() for ref in refs}


@pytest.mark.slow
def test_fifty_clients_make_no_duplicates_and_lose_nothing(
    database_url: str, engine: Engine, account: Account
) -> None:
    database = engine.dialect.name
    server = Server(database_url, workers=2).start()
    try:
        load = Load(make_lists(server, account.key))
        start = threading.Barrier(CLIENTS)
        began = time.monotonic()
        deadline = began + TIME_BUDGET
        threads = [
            threading.Thread(
                target=run_client, args=(i, server, account.key, load, start, deadline)
            )
            for i in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - began

        answers = load.answers
        stored = read_database(engine, account.id)
        lists = httpx.get(
            f"{server.url}/v1/lists",
            params={"limit": 500},
            headers={"X-API-Key": account.key},
            timeout=30,
        ).json()["data"]
        shown: dict[str, dict[str, Any]] = {}
        shown_tags: dict[str, list[str]] = {}
        with httpx.Client(
            base_url=server.url, headers={"X-API-Key": account.key}, timeout=30
        ) as http:
            for contact_id in sorted(stored.contact_ids):
                shown[contact_id] = http.get(f"/v1/contacts/{contact_id}").json()["data"]
                shown_tags[contact_id] = [
                    t["name"] for t in http.get(f"/v1/contacts/tags/{contact_id}").json()
                ]
    finally:
        server.stop()

    no_answer = [a for a in answers if a.status is None]
    server_errors = [a for a in answers if a.status is not None and a.status >= 500]
    unexpected = [a for a in answers if a.status not in ALLOWED[a.kind]]
    created = [
        a.reply["data"]["contactId"]
        for a in answers
        if a.status == 200
        and (a.kind == "create" or (a.kind == "upsert" and a.reply["data"]["created"]))
    ]
    duplicates = (
        len(stored.duplicate_phones)
        + len(stored.duplicate_external_ids)
        + len(stored.duplicate_sids)
    )
    record(
        "load_races",
        database,
        {
            "clients": CLIENTS,
            "server_processes": 2,
            "seed": SEED,
            "requests_sent": len(answers),
            "seconds": round(elapsed, 1),
            "requests_per_second": round(len(answers) / elapsed),
            "requests_by_kind": dict(sorted(Counter(a.kind for a in answers).items())),
            "statuses": {
                str(status or "no answer"): n
                for status, n in sorted(Counter(a.status or 0 for a in answers).items())
            },
            "conflicts_by_error": dict(Counter(error_of(a) for a in answers if a.status == 409)),
            "no_answer": len(no_answer),
            "server_errors_5xx": len(server_errors),
            "unexpected_statuses": len(unexpected),
            "contacts_created": len(stored.contact_ids),
            "list_memberships": len(stored.memberships),
            "messages_stored": len(stored.messages),
            "duplicates_found": duplicates,
        },
    )

    def show(bad: list[Answer]) -> str:
        return f"{len(bad)} of them, e.g.:\n" + "\n".join(str(a) for a in bad[:10])

    assert not no_answer, show(no_answer)
    assert not server_errors, show(server_errors)
    assert not unexpected, show(unexpected)
    assert len(answers) >= CLIENTS * REQUESTS_PER_CLIENT * 0.5, "the run was cut short by time"
    conflicts = [a for a in answers if a.status == 409]
    assert all(error_of(a) in ("contact_exists", "conflict") for a in conflicts)

    # One contact per identity, one message per messageSid: the database's own unique keys.
    assert stored.duplicate_phones == []
    assert stored.duplicate_external_ids == []
    assert stored.duplicate_sids == []

    # Exactly the contacts that answers said were created, each reported once; every contact
    # another answer named exists.
    assert len(created) == len(set(created))
    assert stored.contact_ids == set(created)
    named = {a.reply["contactId"] for a in conflicts if "contactId" in a.reply}
    named |= {
        a.reply["data"]["contactId"] for a in answers if a.kind == "upsert" and a.status == 200
    }
    assert named <= stored.contact_ids

    # Exactly the memberships that were acknowledged: none lost, none left by a failed request.
    assert stored.memberships == acknowledged_memberships(answers)
    for a in answers:
        if a.kind == "bulk_add" and a.status == 200:
            missing = [cid for cid in a.body["contactIds"] if cid == NO_SUCH_CONTACT]
            assert a.reply["data"]["notFound"] == missing, str(a)
    counts = Counter(list_id for list_id, _ in stored.memberships)
    assert {lst["id"]: lst["contactCount"] for lst in lists} == {
        list_id: counts[list_id] for list_id in load.list_ids
    }

    # Every contact's tags and lists, as the API shows them, are its rows.
    for contact_id, contact in shown.items():
        assert contact["tags"] == stored.tags.get(contact_id, []), contact_id
        assert shown_tags[contact_id] == stored.tags.get(contact_id, []), contact_id
        assert sorted(contact["listIds"]) == sorted(
            lid for lid, cid in stored.memberships if cid == contact_id
        )

    # A tag acknowledged on a contact and never detached from it is there; no tag is there that
    # was never acknowledged.
    attached: dict[str, set[str]] = defaultdict(set)
    detached: dict[str, set[str]] = defaultdict(set)
    for a in answers:
        if a.kind in ("create", "upsert") and a.status == 200:
            attached[a.reply["data"]["contactId"]] |= tag_names(a.body.get("tags", []))
        elif a.kind == "tag" and a.status == 200:
            attached[a.path.split("/")[3]] |= tag_names(a.body["tags"])
        elif a.kind == "untag":
            detached[a.path.split("/")[3]].add(a.path.split("/")[5].casefold())
    for contact_id in stored.contact_ids:
        has = {name.casefold() for name in stored.tags.get(contact_id, [])}
        assert attached[contact_id] - detached[contact_id] <= has, contact_id
        assert has <= attached[contact_id], contact_id

    # Each messageSid was stored once, and every answer about it names that one message.
    first: dict[str, str] = {}
    for a in answers:
        if a.kind == "message" and a.status == 201 and "messageSid" in a.body:
            assert a.body["messageSid"] not in first, f"two 201s for one messageSid: {a}"
            first[a.body["messageSid"]] = a.reply["data"]["id"]
    for a in answers:
        if a.kind == "message" and "messageSid" in a.body:
            assert a.reply["data"]["id"] == first[a.body["messageSid"]], str(a)
    created_messages = {
        a.reply["data"]["id"] for a in answers if a.kind == "message" and a.status == 201
    }
    assert set(stored.messages) == created_messages
    assert duplicates == 0


def collide(
    engine: Engine, first: Callable[[Connection], Any], second: Callable[[Connection], Any]
) -> list[Exception]:
    """Run two writes in their own transactions, the second taking the contact's row between the
    first's inserts and its own update of the contact; the errors they raised.

    On SQLite the second cannot begin until the first commits (writers queue on BEGIN IMMEDIATE),
    so the first waits for it only briefly and the two simply run one after the other.
    """
    first_inserted, second_updated = threading.Event(), threading.Event()
    patience = 0 if db.is_sqlite(engine) else 2  # seconds the first waits for the second
    errors: list[Exception] = []

    def pause_before_update(conn: Connection, cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("UPDATE contacts"):
            first_inserted.set()
            second_updated.wait(patience)

    def signal_after_update(conn: Connection, cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("UPDATE contacts"):
            second_updated.set()

    def run(
        work: Callable[[Connection], Any], hook: str, listener: Any, done: threading.Event
    ) -> None:
        try:
            with db.write(engine) as conn:
                event.listen(conn, hook, listener)
                work(conn)
        except Exception as exc:
            errors.append(exc)
        finally:
            done.set()

    def run_second() -> None:
        first_inserted.wait(10)
        run(second, "after_cursor_execute", signal_after_update, second_updated)

    threads = [
        threading.Thread(
            target=run, args=(first, "before_cursor_execute", pause_before_update, first_inserted)
        ),
        threading.Thread(target=run_second),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.parametrize("write", ["tag", "add_to_list", "bulk_add"])
def test_an_upsert_and_a_tag_or_list_write_on_one_contact_both_succeed(
    engine: Engine, account: Account, write: str
) -> None:
    # POST /v1/contacts/{id}/tags, POST /v1/contacts/lists or POST /v1/lists/{id}/contacts at
    # the same time as POST /v1/contacts/upsert of the same contact with the same tags or list.
    # The first inserts the rows, then updates the contact (its updatedAt); the upsert updates
    # the contact, then inserts the same rows: opposite orders, so each can wait for the other.
    number = phone()
    with db.write(engine) as conn:
        contact_id = contacts.create_contact(
            conn, account.id, ContactCreate.model_validate({"phoneNumber": number})
        )
        # The tags exist already (on another contact), so only the contact's own rows collide.
        contacts.create_contact(
            conn, account.id, ContactCreate.model_validate({"phoneNumber": phone(), "tags": TAGS})
        )
        list_id = lists.create_list(conn, account.id, ListCreate(name="collide"))["id"]

    if write == "tag":
        upsert = {"phoneNumber": number, "firstName": "Upserted", "tags": ["lead", "vip"]}

        def first(conn: Connection) -> None:
            tag_service.attach_tags(conn, account.id, contact_id, ["lead", "vip"])

    else:
        upsert = {"phoneNumber": number, "firstName": "Upserted", "listIds": [list_id]}

        def first(conn: Connection) -> None:
            if write == "add_to_list":
                body = Membership.model_validate({"contactId": contact_id, "listId": list_id})
                lists.add_contact(conn, account.id, body)
            else:
                lists.add_contacts(conn, account.id, list_id, [contact_id])

    def second(conn: Connection) -> None:
        contacts.upsert_contact(conn, account.id, ContactUpsert.model_validate(upsert))

    errors = collide(engine, first, second)

    assert errors == []
    with db.read(engine) as conn:
        shown = contacts.get_contact(conn, account.id, contact_id)
    assert shown["firstName"] == "Upserted"
    assert shown["tags"] == (["lead", "vip"] if write == "tag" else [])
    assert shown["listIds"] == ([] if write == "tag" else [list_id])


def test_two_writes_describing_the_same_tags_in_opposite_orders_both_succeed(
    engine: Engine, account: Account
) -> None:
    # Tag descriptions update tag rows, which two requests on different contacts can share. The
    # tags are ensured and then described in name order, so neither request can hold one tag row
    # while waiting for another that the other request holds.
    with db.write(engine) as conn:
        first_id, second_id = (
            contacts.create_contact(
                conn, account.id, ContactCreate.model_validate({"phoneNumber": phone()})
            )
            for _ in range(2)
        )
        tag_service.attach_tags(conn, account.id, first_id, ["alpha", "beta"])
    described = [TagRef(name=name, description=f"{name} tag") for name in ("alpha", "beta")]
    first_described, second_described = threading.Event(), threading.Event()
    patience = 0 if db.is_sqlite(engine) else 2  # seconds the first waits for the second
    errors: list[Exception] = []

    def describe(contact_id: str, refs: list[TagRef], mine: threading.Event) -> None:
        def pause(conn: Connection, cursor: Any, statement: str, *_: Any) -> None:
            if statement.startswith("UPDATE tags") and not mine.is_set():
                mine.set()
                if mine is first_described:
                    second_described.wait(patience)

        try:
            with db.write(engine) as conn:
                event.listen(conn, "after_cursor_execute", pause)
                tag_service.attach_tags(conn, account.id, contact_id, list(refs))
        except Exception as exc:
            errors.append(exc)
        finally:
            mine.set()

    def second() -> None:
        first_described.wait(10)
        describe(second_id, described[::-1], second_described)

    threads = [
        threading.Thread(target=describe, args=(first_id, described, first_described)),
        threading.Thread(target=second),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with db.read(engine) as conn:
        tags = {
            tag["name"]: tag["description"]
            for tag in tag_service.tags_of(conn, account.id, second_id)
        }
    assert tags == {"alpha": "alpha tag", "beta": "beta tag"}
