"""HTTP routes of /v1/lists (API.md §5), and of list membership at /v1/contacts/lists (§3)."""

from typing import Annotated

from fastapi import APIRouter, Body, Query

from contacthub.accounts.auth import CurrentPrincipal
from contacthub.contacts.schemas import ContactPage
from contacthub.core.deps import ReadConn, WriteConn
from contacthub.core.pagination import Cursor, CursorSecret, Limit, check_limit
from contacthub.core.responses import JSON
from contacthub.core.schemas import Done
from contacthub.errors import error_responses
from contacthub.lists import service
from contacthub.lists.schemas import (
    BulkAddResult,
    BulkContactIds,
    BulkRemoveResult,
    ListCreate,
    ListData,
    ListPage,
    ListUpdate,
    Membership,
)

router = APIRouter(prefix="/lists", tags=["lists"])
# Tagged "contacts", as these routes were when contacts served them: the OpenAPI groups stay.
membership_router = APIRouter(prefix="/contacts/lists", tags=["contacts"])


@router.get("", response_model=ListPage, responses=error_responses(400, 401))
async def list_lists(
    principal: CurrentPrincipal,
    conn: ReadConn,
    secret: CursorSecret,
    limit: Limit = None,
    cursor: Cursor = None,
) -> JSON:
    """The account's lists, oldest first, with their contact counts."""
    data, next_cursor = service.list_lists(
        conn, principal.account_id, cursor=cursor, limit=check_limit(limit), secret=secret
    )
    shown: ListPage = {"success": True, "data": data, "nextCursor": next_cursor}
    return JSON(shown)


@router.post(
    "", status_code=201, response_model=ListData, responses=error_responses(400, 401, 403, 409)
)
async def create_list(principal: CurrentPrincipal, conn: WriteConn, body: ListCreate) -> JSON:
    """Create a list; names are unique in an account, whatever their case."""
    created: ListData = {
        "success": True,
        "data": service.create_list(conn, principal.account_id, body),
    }
    return JSON(created, status_code=201)


@router.get("/{listId}", response_model=ListData, responses=error_responses(401, 404))
async def get_list(principal: CurrentPrincipal, conn: ReadConn, listId: str) -> JSON:
    """One list with its contact count."""
    shown: ListData = {
        "success": True,
        "data": service.get_list(conn, principal.account_id, listId),
    }
    return JSON(shown)


@router.patch(
    "/{listId}", response_model=ListData, responses=error_responses(400, 401, 403, 404, 409)
)
async def update_list(
    principal: CurrentPrincipal, conn: WriteConn, listId: str, body: ListUpdate
) -> JSON:
    """Rename a list or change its description."""
    updated: ListData = {
        "success": True,
        "data": service.update_list(conn, principal.account_id, listId, body),
    }
    return JSON(updated)


@router.delete("/{listId}", response_model=Done, responses=error_responses(401, 403, 404))
async def delete_list(principal: CurrentPrincipal, conn: WriteConn, listId: str) -> JSON:
    """Delete a list; its contacts stay."""
    name = service.delete_list(conn, principal.account_id, listId)
    return JSON({"success": True, "message": f"List {name} deleted"})


@router.get(
    "/{listId}/contacts", response_model=ContactPage, responses=error_responses(400, 401, 404)
)
async def list_contacts(
    principal: CurrentPrincipal,
    conn: ReadConn,
    listId: str,
    secret: CursorSecret,
    limit: Limit = None,
    cursor: Cursor = None,
) -> JSON:
    """The list's contacts, a page at a time."""
    data, next_cursor = service.list_contacts(
        conn, principal.account_id, listId, cursor=cursor, limit=check_limit(limit), secret=secret
    )
    shown: ContactPage = {"success": True, "data": data, "nextCursor": next_cursor}
    return JSON(shown)


@router.post(
    "/{listId}/contacts",
    response_model=BulkAddResult,
    responses=error_responses(400, 401, 403, 404),
)
async def add_contacts(
    principal: CurrentPrincipal, conn: WriteConn, listId: str, body: BulkContactIds
) -> JSON:
    """Add up to 10,000 contacts to the list, answered per id."""
    added: BulkAddResult = {
        "success": True,
        "data": service.add_contacts(conn, principal.account_id, listId, body.contact_ids),
    }
    return JSON(added)


@router.delete(
    "/{listId}/contacts",
    response_model=BulkRemoveResult,
    responses=error_responses(400, 401, 403, 404),
)
async def remove_contacts(
    principal: CurrentPrincipal, conn: WriteConn, listId: str, body: BulkContactIds
) -> JSON:
    """Remove up to 10,000 contacts from the list, answered per id."""
    removed: BulkRemoveResult = {
        "success": True,
        "data": service.remove_contacts(conn, principal.account_id, listId, body.contact_ids),
    }
    return JSON(removed)


@membership_router.post("", response_model=Done, responses=error_responses(400, 401, 403))
async def add_to_list(
    principal: CurrentPrincipal, conn: WriteConn, body: Annotated[Membership | None, Body()] = None
) -> JSON:
    """Add a contact to a list (adding again is a success)."""
    name = service.add_contact(conn, principal.account_id, body or Membership())
    return JSON({"success": True, "message": f"Contact successfully added to list {name}"})


@membership_router.delete("", response_model=Done, responses=error_responses(400, 401, 403))
async def remove_from_list(
    principal: CurrentPrincipal,
    conn: WriteConn,
    contact_id: Annotated[str | None, Query(alias="contactId")] = None,
    list_id: Annotated[str | None, Query(alias="listId")] = None,
    body: Annotated[Membership | None, Body()] = None,
) -> JSON:
    """Remove a contact from a list; ids in the JSON body or the query (removing a non-member is a success)."""
    # Field by field: an id the body leaves out (or a body of {}) is taken from the query.
    given = body or Membership()
    membership = Membership(
        contactId=given.contact_id or contact_id, listId=given.list_id or list_id
    )
    name = service.remove_contact(conn, principal.account_id, membership)
    return JSON({"success": True, "message": f"Contact successfully removed from list {name}"})
