"""The hot path: ``GET /v1/contacts?phoneNumber=…``, answered in front of the router.

A chat platform asks "who is this?" on every inbound message, so this one request gets a lean
route: plain ASGI, two SQL statements compiled once and run on the driver's own connection
(core/driver.py), no per-request dependency graph, ORM or SQLAlchemy ``Result``. The first is the
key check every request makes, the caller that ``accounts.auth.Authenticate`` resolves (nothing is
cached, so a revoked key is refused on the next request); the second reads the contact with its
tags and lists at once (a ``UNION ALL`` of the contact's row, then its tags, then its lists). Each
statement sees the latest committed state, as a read under PostgreSQL's READ COMMITTED does.

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

import orjson
from sqlalchemy import Integer, String, bindparam, literal_column, null, select, union_all
from starlette.types import ASGIApp, Receive, Scope, Send

from contacthub.accounts.auth import caller_of
from contacthub.contacts.schemas import contact_out
from contacthub.core.clock import utcnow
from contacthub.core.driver import DriverConnections, Selectable
from contacthub.core.responses import JSON
from contacthub.errors import Unauthorized
from contacthub.models import Contact, ContactTag, ListMembership, Tag

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
        self.contact_tags_and_lists = _statement()

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
        if phone is None:
            return None
        try:
            principal = await caller_of(scope).principal()
        except Unauthorized:
            return None  # the route answers the 401 (the caller remembers it: no second lookup)
        now = utcnow()
        if principal.use_is_due(now):
            return None  # the regular route records the key's use
        try:
            rows = await self.connections.afetch(
                self.contact_tags_and_lists,
                account_id=principal.account_id,
                phone="+" + phone.group(1),
            )
        except self.connections.errors:
            log.warning("the phone lookup's query failed; the regular route answers instead")
            return None
        if not rows:
            return None  # no such contact: the route answers the 404
        tags: list[str] = []
        list_ids: list[str] = []
        for row in rows[1:]:
            (tags if row["kind"] == 0 else list_ids).append(row["value"])
        found = SimpleNamespace(**rows[0])
        contact = contact_out(found, tags=tags, list_ids=list_ids, now=now)
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


def _statement() -> Selectable:
    """The contact with a phone number in an account, then its tags (by name_key), then its lists
    (by id): the order the regular route gives them in. One row of the contact's columns first
    (``kind`` -1); each tag or list row has ``kind`` 0 or 1, its ``value``, and NULL columns."""
    account_id = bindparam("account_id", type_=String)
    phone = bindparam("phone", type_=String)
    columns = list(Contact.__table__.columns)
    blanks = [null().label(column.key) for column in columns]
    the_contact = (Contact.account_id == account_id) & (Contact.phone_number == phone)
    contact = select(
        literal_column("-1", Integer).label("kind"),
        literal_column("NULL", String).label("value"),
        literal_column("NULL", String).label("sort_key"),
        *columns,
    ).where(the_contact)
    tags = (
        select(
            literal_column("0", Integer).label("kind"),
            Tag.name.label("value"),
            Tag.name_key.label("sort_key"),
            *blanks,
        )
        .select_from(Contact)
        .join(
            ContactTag,
            (ContactTag.account_id == Contact.account_id) & (ContactTag.contact_id == Contact.id),
        )
        .join(Tag, (Tag.account_id == ContactTag.account_id) & (Tag.id == ContactTag.tag_id))
        .where(the_contact)
    )
    lists = (
        select(
            literal_column("1", Integer).label("kind"),
            ListMembership.list_id.label("value"),
            ListMembership.list_id.label("sort_key"),
            *blanks,
        )
        .select_from(Contact)
        .join(
            ListMembership,
            (ListMembership.account_id == Contact.account_id)
            & (ListMembership.contact_id == Contact.id),
        )
        .where(the_contact)
    )
    return union_all(contact, tags, lists).order_by("kind", "sort_key")
