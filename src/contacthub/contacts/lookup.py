"""The hot path: ``GET /v1/contacts?phoneNumber=…``, answered in front of the router.

A chat platform asks "who is this?" on every inbound message, so this one request gets a lean
route: plain ASGI, two prepared SQL statements on the driver's own connection, no per-request
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
from urllib.parse import parse_qsl

from sqlalchemy import (
    CompoundSelect,
    Dialect,
    Engine,
    Integer,
    Select,
    String,
    bindparam,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.exc import DBAPIError
from starlette.types import ASGIApp, Receive, Scope, Send

from contacthub.accounts.service import Principal
from contacthub.contacts.schemas import contact_out
from contacthub.core.clock import utcnow
from contacthub.core.responses import JSON
from contacthub.core.security import hash_key, looks_like_key, presented_key
from contacthub.models import ApiKey, Contact, ContactTag, ListMembership, Tag

log = logging.getLogger(__name__)

PATH = "/v1/contacts"
_E164_DIGITS = re.compile(r"\+?([1-9][0-9]{6,14})")
_QUERY_NAMES = frozenset({"phoneNumber", "apiKey"})


class PhoneLookup:
    """ASGI middleware, innermost: answers the ordinary phone lookup, passes on everything else."""

    def __init__(self, app: ASGIApp, engine: Engine) -> None:
        self.app = app
        self.engine = engine
        self.driver_error: type[Exception] = engine.dialect.loaded_dbapi.Error
        self.key_and_contact, self.tags_and_lists = _statements(engine.dialect)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == PATH and scope["method"] == "GET":
            found = self._lookup(scope)
            if found is not None:
                scope["route"] = _Route  # for the metrics' route label
                await JSON(found)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _lookup(self, scope: Scope) -> dict[str, Any] | None:
        """The answer to an ordinary lookup, or None for the regular route to answer."""
        query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        names = [name for name, _ in query]
        if len(set(names)) != len(names) or not set(names) <= _QUERY_NAMES:
            return None
        params = dict(query)
        phone = _E164_DIGITS.fullmatch(params.get("phoneNumber", ""))
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:  # the first of repeated headers, as Starlette's get
            headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
        key = presented_key(headers, params)
        if phone is None or key is None or not looks_like_key(key):
            return None
        try:
            return self._query(key, "+" + phone.group(1))
        except (DBAPIError, self.driver_error):
            log.warning("the phone lookup's query failed; the regular route answers instead")
            return None

    def _query(self, key: str, phone: str) -> dict[str, Any] | None:
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            rows = self.key_and_contact.rows(cursor, key_hash=hash_key(key), phone=phone)
            if not rows or rows[0]["id"] is None:
                return None  # no such key (401) or no such contact (404): the route says which
            found = rows[0]
            principal = Principal(
                account_id=found["account_id"],
                key_id=found["key_id"],
                read_only=False,
                last_used_at=found["key_last_used_at"],
            )
            now = utcnow()
            if principal.use_is_due(now):
                return None  # the regular route records the key's use
            tags: list[str] = []
            list_ids: list[str] = []
            for row in self.tags_and_lists.rows(
                cursor, account_id=found["account_id"], contact_id=found["id"]
            ):
                (tags if row["kind"] == 0 else list_ids).append(row["value"])
            cursor.close()
        except BaseException:
            connection.invalidate()
            raise
        finally:
            connection.close()
        contact = contact_out(SimpleNamespace(**found), tags=tags, list_ids=list_ids, now=now)
        return {"success": True, "contactId": contact["id"], "contact": contact}


class _Route:
    """What the metrics middleware reads of a route: its template."""

    path = PATH


class _Prepared:
    """A statement compiled once for one dialect, run on a raw DBAPI cursor.

    Rows come back through SQLAlchemy's own per-column result processors (JSON, booleans and
    datetimes on SQLite, UTC on both), so values are exactly what the regular route reads.
    """

    def __init__(
        self,
        statement: Select[*tuple[Any, ...]] | CompoundSelect[*tuple[Any, ...]],
        dialect: Dialect,
    ) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self.order = compiled.positiontup if compiled.positional else None
        self.names = [str(column.key) for column in statement.selected_columns]
        self.processors = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns
        ]

    def rows(self, cursor: Any, **params: Any) -> list[dict[str, Any]]:
        bound = params if self.order is None else [params[name] for name in self.order]
        cursor.execute(self.sql, bound)
        return [
            {
                name: value if process is None else process(value)
                for name, process, value in zip(self.names, self.processors, raw, strict=True)
            }
            for raw in cursor.fetchall()
        ]


def _statements(dialect: Dialect) -> tuple[_Prepared, _Prepared]:
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
    return _Prepared(key_and_contact, dialect), _Prepared(tags_and_lists, dialect)
