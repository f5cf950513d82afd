"""The hot path: ``GET /v1/contacts?phoneNumber=…``, answered in front of the router.

A chat platform asks "who is this?" on every inbound message, so this one request gets a lean
route: plain ASGI, two SQL statements compiled once and run on the driver's own connection
(core/driver.py), no per-request dependency graph, ORM or SQLAlchemy ``Result``. The first is the
key check every request makes (``accounts.repository.LIVE_KEY``) with the contact joined onto it:
one statement where resolving the caller first would take two (measured: a fifth more CPU per
lookup). Its key columns settle the request's caller (``accounts.auth.Caller.settle``), so a
request passed on to the regular route is not checked again. Nothing is cached, so a revoked key is
refused on the next request. The second statement reads the contact's tags and lists. Each
statement sees the latest committed state, as a read under PostgreSQL's READ COMMITTED does.

It takes only the ordinary case: a well-formed key that is live and was recorded as used recently,
a number written in E.164 (``+`` optional, unless the account has a default country: digits alone
may then be a national number, which the regular route reads) and nothing else in the query, and a
contact that exists. The account's default country comes with the key check's row (a join on the
account's primary key).
Anything else (no key, a revoked key, a number spelt with spaces, an email, no match, a database
hiccup) goes on to the regular route in ``endpoints.py``, which answers it exactly as it would
have anyway; ``tests/contacts/test_lookup.py`` holds the two to the same answers.

Skipping the parse is safe: every stored number is canonical E.164, so a text of that shape that
equals a stored number is that number. The measurements behind this route are in
docs/architecture.md ("The hot path").
"""

import logging
import re
from types import SimpleNamespace
from typing import Any

import orjson
from sqlalchemy import Integer, String, bindparam, literal_column, select, union_all
from starlette.types import ASGIApp, Receive, Scope, Send

from contacthub.accounts.auth import caller_of
from contacthub.accounts.repository import LIVE_KEY
from contacthub.contacts.schemas import contact_out
from contacthub.core.clock import utcnow
from contacthub.core.driver import DriverConnections, Selectable
from contacthub.core.responses import JSON
from contacthub.models import Account, ApiKey, Contact, ContactTag, ListMembership, Tag

log = logging.getLogger(__name__)

PATH = "/v1/contacts"
# On the query as sent, not yet decoded: "%2B" is a "+", and so is a bare "+" (decoded, a space),
# as clients mean it and as the regular route reads it too (core.wire.PhoneQuery).
_E164_DIGITS = re.compile(r"(%2[Bb]|\+)?([1-9][0-9]{6,14})")
_QUERY_NAMES = frozenset({"phoneNumber", "apiKey"})


class PhoneLookup:
    """ASGI middleware, innermost: answers the ordinary phone lookup, passes on everything else."""

    def __init__(self, app: ASGIApp, connections: DriverConnections) -> None:
        self.app = app
        self.connections = connections
        self.key_and_contact, self.tags_and_lists = _statements()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == PATH and scope["method"] == "GET":
            found = await self._lookup(scope)
            if found is not None:
                scope["route"] = _Route  # for the metrics' route label
                body = orjson.dumps(found)
                headers = [*_HEADERS, (b"content-length", str(len(body)).encode())]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    async def _lookup(self, scope: Scope) -> dict[str, Any] | None:
        """The answer to an ordinary lookup, or None for the regular route to answer."""
        params = _plain_query(scope["query_string"])
        if params is None:
            return None
        phone = _E164_DIGITS.fullmatch(params.get("phoneNumber", ""))
        caller = caller_of(scope)
        key_hash = caller.checkable_hash()
        if phone is None or key_hash is None:
            return None  # no key, or not one: the route answers the 401
        fetch = self.connections.afetch
        try:
            rows = await fetch(self.key_and_contact, key_hash=key_hash, phone="+" + phone.group(2))
        except self.connections.errors:
            log.warning("the phone lookup's query failed; the regular route answers instead")
            return None
        found = rows[0] if rows else None
        principal = caller.settle(None if found is None else _key_row(found))
        if found is None or principal is None:
            return None  # no such key: the route answers the 401 (with no second check)
        now = utcnow()
        if principal.use_is_due(now):
            return None  # the route records the key's use
        if phone.group(1) is None and found["account_default_country"] is not None:
            return None  # digits alone may be a national number there: the route reads them
        if found["id"] is None:
            return None  # the route answers the 404
        try:
            extras = await fetch(
                self.tags_and_lists, account_id=principal.account_id, contact_id=found["id"]
            )
        except self.connections.errors:
            log.warning("the phone lookup's query failed; the regular route answers instead")
            return None
        tags: list[str] = []
        list_ids: list[str] = []
        for row in extras:
            (tags if row["kind"] == 0 else list_ids).append(row["value"])
        contact = contact_out(SimpleNamespace(**found), tags=tags, list_ids=list_ids, now=now)
        return {"success": True, "contactId": contact["id"], "contact": contact}


def _plain_query(raw: bytes) -> dict[str, str] | None:
    """``phoneNumber`` as sent, when the query is that and maybe ``apiKey``, each once."""
    params: dict[str, str] = {}
    for part in raw.decode("latin-1").split("&"):
        name, _, value = part.partition("=")
        if name not in _QUERY_NAMES or name in params:
            return None
        params[name] = value
    return params


_HEADERS = [(b"content-type", JSON.media_type.encode())]


class _Route:
    """What the metrics middleware reads of a route: its template."""

    path = PATH


_KEY_COLUMNS = [str(column.key) for column in LIVE_KEY.selected_columns]


def _key_row(found: dict[str, Any]) -> dict[str, Any]:
    """The ``LIVE_KEY`` row inside a row of the first statement."""
    return {name: found[f"key_{name}"] for name in _KEY_COLUMNS}


def _statements() -> tuple[Selectable, Selectable]:
    """The key check (``LIVE_KEY``, its columns prefixed ``key_``) with the contact of a phone
    number joined onto it; a contact's tags and lists, in API order."""
    key_and_contact = (
        select(
            *[column.label(f"key_{column.key}") for column in LIVE_KEY.selected_columns],
            Account.default_country.label("account_default_country"),
            *Contact.__table__.columns,
        )
        .select_from(ApiKey)
        .join(Account, Account.id == ApiKey.account_id)
        .outerjoin(
            Contact,
            (Contact.account_id == ApiKey.account_id)
            & (Contact.phone_number == bindparam("phone")),
        )
        # LIVE_KEY's own condition, written out so the tenancy test can read it; a test holds the two
        # equal (tests/contacts/test_lookup.py).
        .where(ApiKey.key_hash == bindparam("key_hash"), ApiKey.revoked_at.is_(None))
    )
    account_id = bindparam("account_id", type_=String)
    contact_id = bindparam("contact_id", type_=String)
    tags = (
        select(
            literal_column("0", Integer).label("kind"),
            Tag.name.label("value"),
            Tag.name_key.label("sort_key"),
        )
        .select_from(ContactTag)
        .join(Tag, (Tag.account_id == ContactTag.account_id) & (Tag.id == ContactTag.tag_id))
        .where(
            ContactTag.account_id == account_id,
            ContactTag.contact_id == contact_id,
        )
    )
    lists = select(
        literal_column("1", Integer).label("kind"),
        ListMembership.list_id.label("value"),
        ListMembership.list_id.label("sort_key"),
    ).where(
        ListMembership.account_id == account_id,
        ListMembership.contact_id == contact_id,
    )
    # Tags by name_key and lists by id: the order the regular route gives them in.
    tags_and_lists = union_all(tags, lists).order_by("kind", "sort_key")
    return key_and_contact, tags_and_lists
