"""HTTP routes of /v1/tags (API.md §5)."""

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query

from contacthub.accounts.auth import CurrentPrincipal
from contacthub.contacts.endpoints import email_param, phone_param
from contacthub.core.deps import ReadConn, WriteConn
from contacthub.core.responses import JSON
from contacthub.core.schemas import Done
from contacthub.errors import BadRequest, error_responses
from contacthub.tags import service
from contacthub.tags.schemas import TagContact, TagData, TaggedResult, TagOut, TagUpdate

router = APIRouter(prefix="/tags", tags=["tags"])

TagName = Annotated[str, Path(min_length=1, max_length=255)]


@router.get("", response_model=list[TagOut], responses=error_responses(401))
async def list_tags(principal: CurrentPrincipal, conn: ReadConn) -> JSON:
    """Every tag of the account, as a bare array sorted by name."""
    return JSON(service.all_tags(conn, principal.account_id))


@router.post("", response_model=TaggedResult, responses=error_responses(400, 401, 403, 404))
async def tag_contact(
    principal: CurrentPrincipal,
    conn: WriteConn,
    tag: Annotated[str | None, Query()] = None,
    phone_number: Annotated[str | None, Query(alias="phoneNumber", max_length=64)] = None,
    email: Annotated[str | None, Query(max_length=320)] = None,
    body: Annotated[TagContact | None, Body()] = None,
) -> JSON:
    """Tag the contact with this phone number or email (query or body); the tag is made if missing."""
    given = body or TagContact()
    name = given.tag or (tag.strip() if tag else None)
    phone = given.phone_number or phone_number
    address = given.email or email
    missing = [field for field, value in (("tag", name),) if not value]
    if not phone and not address:
        missing.append("phoneNumber or email")
    if missing:
        raise BadRequest(
            f"Missing required parameters: {', '.join(missing)}",
            details=[{"field": field, "message": "is required"} for field in missing],
        )
    assert name is not None
    contact_id, tag_out = service.tag_contact(
        conn,
        principal.account_id,
        tag=name,
        description=given.description,
        phone_number=phone_param(phone),
        email=email_param(address),
    )
    return JSON(
        {
            "success": True,
            "message": f"Contact tagged with {tag_out['name']}",
            "data": {"contactId": contact_id, "tag": tag_out},
        }
    )


@router.put("/{name}", response_model=TagData, responses=error_responses(400, 401, 403))
async def put_tag(
    principal: CurrentPrincipal, conn: WriteConn, name: TagName, body: TagUpdate
) -> JSON:
    """Create a tag or change its description."""
    return JSON(
        {
            "success": True,
            "data": service.put_tag(conn, principal.account_id, name.strip(), body.description),
        }
    )


@router.delete("/{name}", response_model=Done, responses=error_responses(401, 403, 404))
async def delete_tag(principal: CurrentPrincipal, conn: WriteConn, name: TagName) -> JSON:
    """Delete a tag; every contact that carried it loses it."""
    service.delete_tag(conn, principal.account_id, name)
    return JSON({"success": True, "message": f"Tag {name} deleted"})
