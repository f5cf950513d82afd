"""HTTP routes of /v1/contacts: the compatible surface (API.md §3) and its extensions (§4)."""

from typing import Annotated

from fastapi import APIRouter, Body, Query

from contacthub.accounts.auth import CurrentPrincipal
from contacthub.contacts import service
from contacthub.contacts.repository import SearchFilters
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
    TagRef,
)
from contacthub.core.clock import parse_wire, utcnow
from contacthub.core.deps import ReadConn, WriteConn
from contacthub.core.emails import InvalidEmail, normalise_email
from contacthub.core.pagination import check_limit
from contacthub.core.phones import InvalidPhone, to_e164
from contacthub.core.responses import JSON
from contacthub.core.schemas import Done
from contacthub.core.wire import Label, WireModel
from contacthub.errors import BadRequest, ValidationFailed, error_responses
from contacthub.lists import service as lists_service
from contacthub.lists.schemas import Membership
from contacthub.messages import service as messages_service
from contacthub.messages.schemas import MessageCreate, MessageData, MessagePage
from contacthub.tags.schemas import TagList, TagOut

router = APIRouter(prefix="/contacts", tags=["contacts"])

MISSING_CONTACT_ID = "Missing contact ID"


def phone_param(raw: str | None, field: str = "phoneNumber") -> str | None:
    """A phone number from the query string, normalised, or a 400 naming the parameter."""
    if raw is None:
        return None
    try:
        return to_e164(raw)
    except InvalidPhone as exc:
        raise ValidationFailed.field(field, str(exc)) from None


def email_param(raw: str | None) -> str | None:
    """An email address from the query string, normalised, or a 400 naming the parameter."""
    if raw is None:
        return None
    try:
        return normalise_email(raw)
    except InvalidEmail as exc:
        raise ValidationFailed.field("email", str(exc)) from None


@router.get("", response_model=ContactFound, responses=error_responses(400, 401, 404))
async def find_contact(
    principal: CurrentPrincipal,
    conn: ReadConn,
    phone_number: Annotated[
        str | None, Query(alias="phoneNumber", max_length=64, examples=["+14155550100"])
    ] = None,
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
        phone_number=phone_param(phone_number),
        email=email_param(email),
    )
    return JSON({"success": True, "contactId": contact["id"], "contact": contact})


@router.post("", response_model=ContactCreated, responses=error_responses(400, 401, 403, 404, 409))
async def create_contact(principal: CurrentPrincipal, conn: WriteConn, body: ContactCreate) -> JSON:
    """Create a contact, optionally on lists and with tags; nothing is created if any part fails."""
    contact_id = service.create_contact(conn, principal.account_id, body)
    return JSON(
        {
            "success": True,
            "data": {"message": "Successfully created new contact", "contactId": contact_id},
        }
    )


@router.post(
    "/upsert", response_model=ContactUpserted, responses=error_responses(400, 401, 403, 404, 409)
)
async def upsert_contact(principal: CurrentPrincipal, conn: WriteConn, body: ContactUpsert) -> JSON:
    """Update the contact the first identifier finds (phoneNumber, externalId, instagramId, email), or create it."""
    return JSON({"success": True, "data": service.upsert_contact(conn, principal.account_id, body)})


@router.get("/search", response_model=ContactPage, responses=error_responses(400, 401))
async def search_contacts(
    principal: CurrentPrincipal,
    conn: ReadConn,
    q: Annotated[
        str | None, Query(max_length=255, description="Prefix of a name, phone number or email")
    ] = None,
    list_id: Annotated[str | None, Query(alias="listId")] = None,
    tag: Annotated[str | None, Query(max_length=255)] = None,
    channel: Annotated[str | None, Query(max_length=255)] = None,
    is_bot_active: Annotated[bool | None, Query()] = None,
    do_not_disturb: Annotated[bool | None, Query()] = None,
    is_chat_window_open: Annotated[bool | None, Query(alias="isChatWindowOpen")] = None,
    updated_since: Annotated[
        str | None, Query(alias="updatedSince", description="ISO 8601; sorts by updatedAt")
    ] = None,
    limit: Annotated[int | None, Query()] = None,
    cursor: Annotated[str | None, Query()] = None,
) -> JSON:
    """Contacts matching every filter given, a page at a time (by creation, or by updatedAt with updatedSince)."""
    since = None
    if updated_since is not None:
        try:
            since = parse_wire(updated_since)
        except ValueError:
            raise ValidationFailed.field(
                "updatedSince", "must be an ISO 8601 time, e.g. 2026-11-26T10:00:00Z"
            ) from None
    filters = SearchFilters(
        now=utcnow(),
        q=q.strip() or None if q else None,
        list_id=list_id,
        tag=tag,
        channel=channel,
        is_bot_active=is_bot_active,
        do_not_disturb=do_not_disturb,
        is_chat_window_open=is_chat_window_open,
        updated_since=since,
    )
    data, next_cursor = service.search_contacts(
        conn, principal.account_id, filters, cursor=cursor, limit=check_limit(limit)
    )
    return JSON({"success": True, "data": data, "nextCursor": next_cursor})


@router.post("/lists", response_model=Done, responses=error_responses(400, 401, 403))
async def add_to_list(
    principal: CurrentPrincipal, conn: WriteConn, body: Annotated[Membership | None, Body()] = None
) -> JSON:
    """Add a contact to a list (adding again is a success)."""
    name = lists_service.add_contact(conn, principal.account_id, body or Membership())
    return JSON({"success": True, "message": f"Contact successfully added to list {name}"})


@router.delete("/lists", response_model=Done, responses=error_responses(400, 401, 403))
async def remove_from_list(
    principal: CurrentPrincipal,
    conn: WriteConn,
    contact_id: Annotated[str | None, Query(alias="contactId")] = None,
    list_id: Annotated[str | None, Query(alias="listId")] = None,
    body: Annotated[Membership | None, Body()] = None,
) -> JSON:
    """Remove a contact from a list; ids in the JSON body or the query (removing a non-member is a success)."""
    membership = body or Membership.model_validate({"contactId": contact_id, "listId": list_id})
    name = lists_service.remove_contact(conn, principal.account_id, membership)
    return JSON({"success": True, "message": f"Contact successfully removed from list {name}"})


@router.get("/tags/", include_in_schema=False)
@router.get("/messages/", include_in_schema=False)
async def missing_contact_id(principal: CurrentPrincipal) -> JSON:
    """The original's answer to a path without its contact id."""
    raise BadRequest(MISSING_CONTACT_ID)


@router.get(
    "/tags/{contactId}", response_model=list[TagOut], responses=error_responses(400, 401, 404)
)
async def contact_tags(principal: CurrentPrincipal, conn: ReadConn, contactId: str) -> JSON:
    """A contact's tags, as a bare array sorted by name."""
    return JSON(service.tags_of(conn, principal.account_id, contactId))


@router.get(
    "/messages/{contactId}", response_model=MessagePage, responses=error_responses(400, 401, 404)
)
async def list_messages(
    principal: CurrentPrincipal,
    conn: ReadConn,
    contactId: str,
    limit: Annotated[int | None, Query()] = None,
    cursor: Annotated[str | None, Query()] = None,
    order: Annotated[str, Query(description="asc (oldest first, the default) or desc")] = "asc",
) -> JSON:
    """A contact's messages by time, a page at a time."""
    data, next_cursor = messages_service.list_messages(
        conn, principal.account_id, contactId, cursor=cursor, limit=check_limit(limit), order=order
    )
    return JSON({"success": True, "data": data, "nextCursor": next_cursor})


@router.post(
    "/messages/{contactId}",
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
    message, created = messages_service.record_message(conn, principal.account_id, contactId, body)
    return JSON({"success": True, "data": message}, status_code=201 if created else 200)


@router.get("/{contactId}", response_model=ContactData, responses=error_responses(401, 404))
async def get_contact(principal: CurrentPrincipal, conn: ReadConn, contactId: str) -> JSON:
    """One contact by id."""
    return JSON(
        {"success": True, "data": service.get_contact(conn, principal.account_id, contactId)}
    )


@router.put(
    "/{contactId}",
    response_model=ContactUpdated,
    responses=error_responses(400, 401, 403, 404, 409),
)
async def update_contact(
    principal: CurrentPrincipal,
    conn: WriteConn,
    contactId: str,
    body: ContactUpdate,
) -> JSON:
    """Update the fields sent; the others keep their value, null clears a nullable field."""
    contact = service.update_contact(conn, principal.account_id, contactId, body)
    return JSON({"success": True, "message": "Contact updated successfully", "contact": contact})


@router.patch(
    "/{contactId}",
    response_model=ContactUpdated,
    responses=error_responses(400, 401, 403, 404, 409),
)
async def patch_contact(
    principal: CurrentPrincipal,
    conn: WriteConn,
    contactId: str,
    body: ContactUpdate,
) -> JSON:
    """Same as PUT: only the fields sent change."""
    contact = service.update_contact(conn, principal.account_id, contactId, body)
    return JSON({"success": True, "message": "Contact updated successfully", "contact": contact})


@router.delete("/{contactId}", response_model=Done, responses=error_responses(401, 403, 404))
async def delete_contact(principal: CurrentPrincipal, conn: WriteConn, contactId: str) -> JSON:
    """Erase a contact with its messages, tags and list memberships."""
    service.delete_contact(conn, principal.account_id, contactId)
    return JSON({"success": True, "message": "Contact deleted"})


class TagsToAttach(WireModel):
    """Body of ``POST /v1/contacts/{contactId}/tags``."""

    tags: list[Label | TagRef]


@router.post(
    "/{contactId}/tags", response_model=TagList, responses=error_responses(400, 401, 403, 404)
)
async def attach_tags(
    principal: CurrentPrincipal,
    conn: WriteConn,
    contactId: str,
    body: TagsToAttach,
) -> JSON:
    """Tag a contact by name, creating missing tags; the contact's tags afterwards."""
    service.attach_tags(conn, principal.account_id, contactId, body.tags)
    return JSON({"success": True, "data": service.tags_of(conn, principal.account_id, contactId)})


@router.delete(
    "/{contactId}/tags/{name}", response_model=Done, responses=error_responses(401, 403, 404)
)
async def detach_tag(
    principal: CurrentPrincipal, conn: WriteConn, contactId: str, name: str
) -> JSON:
    """Take a tag off a contact."""
    service.detach_tag(conn, principal.account_id, contactId, name)
    return JSON({"success": True, "message": f"Tag {name} removed from contact"})
