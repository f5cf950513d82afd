"""The hot path: ``GET /v1/contacts?phoneNumber=…``, answered in front of the router.

A chat platform asks "who is this?" on every inbound message, so this one request gets a lean
route: plain ASGI, two SQL statements compiled once and run on the driver's own connection, no per-request
dependency graph, ORM or SQLAlchemy ``Result``. The first statement checks the key and finds the
contact at once (so a revoked key is refused on the next request: nothing is cached); the second
reads the contact's tags and lists. Each statement sees the latest committed state, as a read
under PostgreSQL's READ COMMITTED does.

It takes only the ordinary case: a well-formed key that is live and was recorded as used recently,
a number written in E.164 (``+`` optional) and nothing else in the query, and a contact that exists.
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
from urllib.parse import unquote_plus

import orjson
from sqlalchemy import (
    Integer,
    String,
    bindparam,
    literal_column,
    select,
    union_all,
)
from starlette.types import ASGIApp, Receive, Scope, Send

from contacthub.accounts.service import Principal
from contacthub.contacts.schemas import contact_out
from contacthub.core.clock import utcnow
from contacthub.core.db import DriverConnections, Selectable
from contacthub.core.responses import JSON
from contacthub.core.security import hash_key, looks_like_key, presented_key
from contacthub.models import ApiKey, Contact, ContactTag, ListMembership, Tag

log = logging.getLogger(__name__)

PATH = "/v1/contacts"
# On the query as sent, not yet decoded: "%2B" is a "+", and a bare "+" a space, which the regular
# route strips, so digits alone mean the same number.
_E164_DIGITS = re.compile(r"(?:%2[Bb]|\+)?([1-9][0-9]{6,14})")
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
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:  # the first of repeated headers, as Starlette's get
            headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
        key = presented_key(headers, params)
        if phone is None or key is None or not looks_like_key(key):
            return None
        try:
            return await self._query(key, "+" + phone.group(1))
        except self.connections.errors:
            log.warning("the phone lookup's query failed; the regular route answers instead")
            return None

    async def _query(self, key: str, phone: str) -> dict[str, Any] | None:
        fetch = self.connections.afetch
        rows = await fetch(self.key_and_contact, key_hash=hash_key(key), phone=phone)
        if not rows or rows[0]["id"] is None:
            return None  # no such key (401) or no such contact (404): the route says which
        found = rows[0]
        now = utcnow()
        if Principal.use_is_due_at(found["key_last_used_at"], now):
            return None  # the regular route records the key's use
        tags: list[str] = []
        list_ids: list[str] = []
        extras = await fetch(
            self.tags_and_lists, account_id=found["account_id"], contact_id=found["id"]
        )
        for row in extras:
            (tags if row["kind"] == 0 else list_ids).append(row["value"])
        contact = contact_out(SimpleNamespace(**found), tags=tags, list_ids=list_ids, now=now)
        return {"success": True, "contactId": contact["id"], "contact": contact}


def _plain_query(raw: bytes) -> dict[str, str] | None:
    """``phoneNumber`` (as sent) and maybe ``apiKey`` (decoded), each once; None for any other."""
    params: dict[str, str] = {}
    for part in raw.decode("latin-1").split("&"):
        name, _, value = part.partition("=")
        if name not in _QUERY_NAMES or name in params:
            return None
        if name == "apiKey" and ("%" in value or "+" in value):
            value = unquote_plus(value)
        params[name] = value
    return params


_HEADERS = [(b"content-type", JSON.media_type.encode())]


class _Route:
    """What the metrics middleware reads of a route: its template."""

    path = PATH


def _statements() -> tuple[Selectable, Selectable]:
    """The key with the contact of a phone number; a contact's tags and lists, in API order."""
    key_and_contact = (
        select(
            ApiKey.id.label("key_id"),
            ApiKey.last_used_at.label("key_last_used_at"),
            *Contact.__table__.columns,
        )
        .select_from(ApiKey)
        .outerjoin(
            Contact,
            (Contact.account_id == ApiKey.account_id)
            & (Contact.phone_number == bindparam("phone")),
        )
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
