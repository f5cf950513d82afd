"""HTTP route of the event feed, GET /v1/events (API.md §7)."""

from typing import Annotated

from fastapi import APIRouter, Query

from contacthub.accounts.auth import CurrentPrincipal
from contacthub.core.deps import ReadConn
from contacthub.core.pagination import CursorSecret
from contacthub.core.responses import JSON
from contacthub.errors import error_responses
from contacthub.events import service
from contacthub.events.schemas import EventPage

router = APIRouter(prefix="/events", tags=["events"])


@router.get("", response_model=EventPage, responses=error_responses(400, 401))
async def list_events(
    principal: CurrentPrincipal,
    conn: ReadConn,
    secret: CursorSecret,
    after: Annotated[
        str | None, Query(description="nextCursor of the previous page; none: the oldest kept")
    ] = None,
    types: Annotated[
        str | None,
        Query(description="Comma-separated types or prefixes: contact.*,message.created"),
    ] = None,
    limit: Annotated[int | None, Query(description="Page size, 1..1000 (default 100)")] = None,
) -> JSON:
    """The account's events after a cursor, oldest first; nextCursor is where to resume."""
    data, next_cursor, done = service.feed(
        conn, principal.account_id, after=after, types=types, limit=limit, secret=secret
    )
    shown: EventPage = {"success": True, "data": data, "nextCursor": next_cursor, "done": done}
    return JSON(shown)
