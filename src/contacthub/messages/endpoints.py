"""HTTP routes of /v1/contacts/messages (API.md §4): a contact's messages."""

from typing import Annotated

from fastapi import APIRouter, Query

from contacthub.accounts.auth import CurrentPrincipal
from contacthub.core.deps import ReadConn, WriteConn
from contacthub.core.pagination import CursorSecret, check_limit
from contacthub.core.responses import JSON
from contacthub.errors import error_responses
from contacthub.messages import service
from contacthub.messages.schemas import MessageCreate, MessageData, MessagePage

# Tagged "contacts", as these routes were when contacts served them: the OpenAPI groups stay.
router = APIRouter(prefix="/contacts/messages", tags=["contacts"])


@router.get("/{contactId}", response_model=MessagePage, responses=error_responses(400, 401, 404))
async def list_messages(
    principal: CurrentPrincipal,
    conn: ReadConn,
    contactId: str,
    secret: CursorSecret,
    limit: Annotated[int | None, Query()] = None,
    cursor: Annotated[str | None, Query()] = None,
    order: Annotated[str, Query(description="asc (oldest first, the default) or desc")] = "asc",
) -> JSON:
    """A contact's messages by time, a page at a time."""
    data, next_cursor = service.list_messages(
        conn,
        principal.account_id,
        contactId,
        cursor=cursor,
        limit=check_limit(limit),
        order=order,
        secret=secret,
    )
    shown: MessagePage = {"success": True, "data": data, "nextCursor": next_cursor}
    return JSON(shown)


@router.post(
    "/{contactId}",
    status_code=201,
    response_model=MessageData,
    responses={
        200: {
            "model": MessageData,
            "description": "A message with this messageSid was already stored: the first one",
        },
        **error_responses(400, 401, 403, 404),
    },
)
async def record_message(
    principal: CurrentPrincipal,
    conn: WriteConn,
    contactId: str,
    body: MessageCreate,
) -> JSON:
    """Record a message; an inbound one opens the 24-hour chat window."""
    message, created = service.record_message(conn, principal.account_id, contactId, body)
    recorded: MessageData = {"success": True, "data": message}
    return JSON(recorded, status_code=201 if created else 200)
