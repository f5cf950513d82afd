"""HTTP routes of /v1/contacts: the compatible surface (API.md §3) and its extensions (§4).

A contact's messages, list memberships and tags are served by their own features
(messages/, lists/, tags/ endpoints); api.py includes those first.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from contacthub.accounts.auth import CurrentPrincipal
from contacthub.contacts import search, service
from contacthub.contacts.schemas import (
    ContactCreate,
    ContactCreated,
    ContactData,
    ContactFound,
    ContactPage,
    ContactUpdate,
    ContactUpdated,
    ContactUpsert,
    ContactUpserted,
    SearchQuery,
)
from contacthub.core.deps import ReadConn, WriteConn
from contacthub.core.pagination import CursorSecret
from contacthub.core.responses import JSON
from contacthub.core.schemas import Done
from contacthub.core.wire import PhoneQuery, email_param, with_bare_plus
from contacthub.errors import BadRequest, error_responses

router = APIRouter(prefix="/contacts", tags=["contacts"])

MISSING_CONTACT_ID = "Missing contact ID"


@router.get("", response_model=ContactFound, responses=error_responses(400, 401, 404))
async def find_contact(
    principal: CurrentPrincipal,
    conn: ReadConn,
    phone_number: PhoneQuery,
    email: Annotated[str | None, Query(max_length=320)] = None,
) -> JSON:
    """Find a contact by phone number and/or email (both given: it must match both)."""
    if phone_number is None and email is None:
        raise BadRequest(
            "Give phoneNumber or email (or both) to find a contact",
            details=[
                {"field": "phoneNumber", "message": "give this, email, or both"},
                {"field": "email", "message": "give this, phoneNumber, or both"},
            ],
        )
    contact = service.find_contact(
        conn,
        principal.account_id,
        phone_number=phone_number,
        email=email_param(email),
    )
    found: ContactFound = {"success": True, "contactId": contact["id"], "contact": contact}
    return JSON(found)


@router.post("", response_model=ContactCreated, responses=error_responses(400, 401, 403, 404, 409))
async def create_contact(principal: CurrentPrincipal, conn: WriteConn, body: ContactCreate) -> JSON:
    """Create a contact, optionally on lists and with tags; nothing is created if any part fails."""
    contact_id = service.create_contact(conn, principal.account_id, body)
    created: ContactCreated = {
        "success": True,
        "data": {"message": "Successfully created new contact", "contactId": contact_id},
        "contactId": contact_id,
        "contact": service.get_contact(conn, principal.account_id, contact_id),
    }
    return JSON(created)


@router.post(
    "/upsert", response_model=ContactUpserted, responses=error_responses(400, 401, 403, 404, 409)
)
async def upsert_contact(principal: CurrentPrincipal, conn: WriteConn, body: ContactUpsert) -> JSON:
    """Update the contact the first identifier finds (phoneNumber, externalId, instagramId, email), or create it."""
    upserted: ContactUpserted = {
        "success": True,
        "data": service.upsert_contact(conn, principal.account_id, body),
    }
    return JSON(upserted)


@router.get("/search", response_model=ContactPage, responses=error_responses(400, 401))
async def search_contacts(
    # Before the connection: FastAPI builds a class dependency in its thread pool, and a request
    # awaiting that while it holds its ReadConn would pile up connections under load (with the
    # pool spent, the next request blocks the event loop on the pool's wait).
    query: Annotated[SearchQuery, Depends()],
    principal: CurrentPrincipal,
    conn: ReadConn,
    secret: CursorSecret,
    request: Request,
) -> JSON:
    """Contacts matching every filter given, a page at a time (by creation, or by updatedAt with updatedSince)."""
    query.q = with_bare_plus(request.scope["query_string"], "q", query.q)
    data, next_cursor = search.search_contacts(conn, principal.account_id, query, secret)
    found: ContactPage = {"success": True, "data": data, "nextCursor": next_cursor}
    return JSON(found)


@router.get("/tags/", include_in_schema=False)
@router.get("/messages/", include_in_schema=False)
async def missing_contact_id(principal: CurrentPrincipal) -> JSON:
    """The original's answer to a path without its contact id."""
    raise BadRequest(MISSING_CONTACT_ID)


@router.get("/{contactId}", response_model=ContactData, responses=error_responses(401, 404))
async def get_contact(principal: CurrentPrincipal, conn: ReadConn, contactId: str) -> JSON:
    """One contact by id."""
    shown: ContactData = {
        "success": True,
        "data": service.get_contact(conn, principal.account_id, contactId),
    }
    return JSON(shown)


@router.put(
    "/{contactId}",
    response_model=ContactUpdated,
    responses=error_responses(400, 401, 403, 404, 409),
)
# One handler; the PATCH operation keeps the name and text it had as a handler of its own.
@router.patch(
    "/{contactId}",
    response_model=ContactUpdated,
    responses=error_responses(400, 401, 403, 404, 409),
    operation_id="patch_contact_v1_contacts__contactId__patch",
    summary="Patch Contact",
    description="Same as PUT: only the fields sent change.",
)
async def update_contact(
    principal: CurrentPrincipal,
    conn: WriteConn,
    contactId: str,
    body: ContactUpdate,
) -> JSON:
    """Update the fields sent; the others keep their value, null clears a nullable field."""
    contact = service.update_contact(conn, principal.account_id, contactId, body)
    updated: ContactUpdated = {
        "success": True,
        "message": "Contact updated successfully",
        "contact": contact,
    }
    return JSON(updated)


@router.delete("/{contactId}", response_model=Done, responses=error_responses(401, 403, 404))
async def delete_contact(principal: CurrentPrincipal, conn: WriteConn, contactId: str) -> JSON:
    """Erase a contact with its messages, tags and list memberships."""
    service.delete_contact(conn, principal.account_id, contactId)
    return JSON({"success": True, "message": "Contact deleted"})
