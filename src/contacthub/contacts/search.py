"""Contact search: the filters of ``GET /v1/contacts/search`` (and lists' member page), paged."""

from typing import Any

from sqlalchemy import Connection

from contacthub.accounts import service as accounts_service
from contacthub.contacts import repository
from contacthub.contacts.repository import SearchFilters
from contacthub.contacts.schemas import ContactOut, SearchQuery
from contacthub.contacts.service import all_shown
from contacthub.core.clock import parse_wire, to_wire, utcnow
from contacthub.core.pagination import (
    Binding,
    check_limit,
    decode_cursor,
    decode_timed_cursor,
    page,
)
from contacthub.core.phones import InvalidPhone, canonical, is_international
from contacthub.errors import ValidationFailed


def search_contacts(
    conn: Connection,
    account_id: str,
    query: SearchQuery,
    secret: bytes,
    *,
    endpoint: str = "contacts.search",
) -> tuple[list[ContactOut], str | None]:
    """A page of the contacts matching every filter, and the cursor of the next page.

    By creation, or by (updatedAt, id) when ``updatedSince`` is given. Lists' member page is this
    search with a ``listId``.
    """
    filters = _filters(conn, account_id, query)
    limit = check_limit(query.limit)
    # Bound to every filter: a cursor resumes the walk it came from, and no other.
    binding = Binding(
        secret,
        account_id,
        endpoint,
        (
            filters.q,
            filters.list_id,
            filters.tag,
            filters.channel,
            filters.is_bot_active,
            filters.do_not_disturb,
            filters.is_chat_window_open,
            to_wire(filters.updated_since),
        ),
    )
    after: tuple[Any, ...] | None
    if filters.updated_since is not None:
        after = decode_timed_cursor(query.cursor, binding)
    else:
        key = decode_cursor(query.cursor, 1, binding)
        after = None if key is None else (key[0],)
    rows = repository.search(conn, account_id, filters=filters, after=after, limit=limit)
    shown, next_cursor = page(
        rows,
        limit,
        (lambda row: [to_wire(row.updated_at), row.id])
        if filters.updated_since is not None
        else (lambda row: [row.id]),
        binding,
    )
    return all_shown(conn, account_id, shown), next_cursor


def _whole_number(conn: Connection, account_id: str, q: str) -> str | None:
    """The number a ``q`` without a country code is when it is a whole one, read in the account's
    default country (E.164), else None. (A ``q`` with its country code is a prefix of E.164.)"""
    if is_international(q):
        return None
    try:
        canonical(q)  # no number, no need to know the country
        return accounts_service.phone_number(conn, account_id, q, "q")
    except (InvalidPhone, ValidationFailed):
        return None


def _filters(conn: Connection, account_id: str, query: SearchQuery) -> SearchFilters:
    """The search's filters, or a 400 naming ``updatedSince``."""
    since = None
    if query.updated_since is not None:
        try:
            since = parse_wire(query.updated_since)
        except ValueError:
            raise ValidationFailed.field(
                "updatedSince", "must be an ISO 8601 time, e.g. 2026-11-26T10:00:00Z"
            ) from None
    q = query.q.strip() or None if query.q else None
    return SearchFilters(
        now=utcnow(),
        q=q,
        phone=None if q is None else _whole_number(conn, account_id, q),
        list_id=query.list_id,
        tag=query.tag,
        channel=query.channel,
        is_bot_active=query.is_bot_active,
        do_not_disturb=query.do_not_disturb,
        is_chat_window_open=query.is_chat_window_open,
        updated_since=since,
    )
