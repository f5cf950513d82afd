"""HTTP routes of /v1/tags (API.md §5), and of a contact's tags under /v1/contacts (§3)."""

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query

from contacthub.accounts.auth import CurrentPrincipal
from contacthub.core.deps import ReadConn, WriteConn
from contacthub.core.responses import JSON
from contacthub.core.schemas import Done
from contacthub.core.wire import PhoneQuery, email_param, missing_parameters
from contacthub.errors import error_responses
from contacthub.tags import service
from contacthub.tags.schemas import (
    TagContact,
    TagData,
    TaggedResult,
    TagList,
    TagOut,
    TagRef,
    TagsToAttach,
    TagUpdate,
    tag_name,
)

router = APIRouter(prefix="/tags", tags=["tags"])
# Tagged "contacts", as these routes were when contacts served them: the OpenAPI groups stay.
contact_tags_router = APIRouter(prefix="/contacts", tags=["contacts"])

# ``path``: a name may hold "/", sent as %2F (which the server decodes before routing).
TagName = Annotated[str, Path(max_length=1024)]


@router.get("", response_model=list[TagOut], responses=error_responses(401))
async def list_tags(principal: CurrentPrincipal, conn: ReadConn) -> JSON:
    """Every tag of the account, as a bare array sorted by name."""
    return JSON(service.all_tags(conn, principal.account_id))


@router.post("", response_model=TaggedResult, responses=error_responses(400, 401, 403, 404))
async def tag_contact(
    principal: CurrentPrincipal,
    conn: WriteConn,
    phone_number: PhoneQuery,
    tag: Annotated[str | None, Query(max_length=1024)] = None,
    email: Annotated[str | None, Query(max_length=320)] = None,
    body: Annotated[TagContact | None, Body()] = None,
) -> JSON:
    """Tag the contact with this phone number or email (query or body); the tag is made if missing."""
    given = body or TagContact()
    name = given.tag or (tag_name(tag, "tag") if tag and tag.strip() else None)
    phone = given.phone_number or phone_number
    address = given.email or email
    missing = [field for field, value in (("tag", name),) if not value]
    if not phone and not address:
        missing.append("phoneNumber or email")
    if missing or not name:
        raise missing_parameters(missing)
    contact_id, tag_out = service.tag_contact(
        conn,
        principal.account_id,
        tag=name if given.description is None else TagRef(name=name, description=given.description),
        phone_number=phone or None,
        email=email_param(address),
    )
    tagged: TaggedResult = {
        "success": True,
        "message": f"Contact tagged with {tag_out['name']}",
        "data": {"contactId": contact_id, "tag": tag_out},
    }
    return JSON(tagged)


@router.put("/{name:path}", response_model=TagData, responses=error_responses(400, 401, 403))
async def put_tag(
    principal: CurrentPrincipal, conn: WriteConn, name: TagName, body: TagUpdate
) -> JSON:
    """Create a tag or change its description."""
    written: TagData = {
        "success": True,
        "data": service.put_tag(conn, principal.account_id, tag_name(name), body.description),
    }
    return JSON(written)


@router.delete("/{name:path}", response_model=Done, responses=error_responses(400, 401, 403, 404))
async def delete_tag(principal: CurrentPrincipal, conn: WriteConn, name: TagName) -> JSON:
    """Delete a tag; every contact that carried it loses it."""
    name = tag_name(name)
    service.delete_tag(conn, principal.account_id, name)
    return JSON({"success": True, "message": f"Tag {name} deleted"})


@contact_tags_router.get(
    "/tags/{contactId}", response_model=list[TagOut], responses=error_responses(400, 401, 404)
)
async def contact_tags(principal: CurrentPrincipal, conn: ReadConn, contactId: str) -> JSON:
    """A contact's tags, as a bare array sorted by name."""
    return JSON(service.tags_of(conn, principal.account_id, contactId))


@contact_tags_router.post(
    "/{contactId}/tags", response_model=TagList, responses=error_responses(400, 401, 403, 404)
)
async def attach_tags(
    principal: CurrentPrincipal,
    conn: WriteConn,
    contactId: str,
    body: TagsToAttach,
) -> JSON:
    """Tag a contact by name, creating missing tags; the contact's tags afterwards."""
    service.attach_tags(conn, principal.account_id, contactId, list(body.tags))
    tags: TagList = {
        "success": True,
        "data": service.tags_of(conn, principal.account_id, contactId),
    }
    return JSON(tags)


@contact_tags_router.delete(
    "/{contactId}/tags/{name:path}",
    response_model=Done,
    responses=error_responses(400, 401, 403, 404),
)
async def detach_tag(
    principal: CurrentPrincipal, conn: WriteConn, contactId: str, name: TagName
) -> JSON:
    """Take a tag off a contact."""
    name = tag_name(name)
    service.detach_tag(conn, principal.account_id, contactId, name)
    return JSON({"success": True, "message": f"Tag {name} removed from contact"})
