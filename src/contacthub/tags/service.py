"""Tag rules: tags are made by naming them; names compare case-insensitively."""

from typing import Any

from sqlalchemy import Connection

from contacthub.contacts import service as contacts_service
from contacthub.contacts.schemas import TagRef
from contacthub.core.clock import utcnow
from contacthub.errors import NotFound
from contacthub.tags import repository


def all_tags(conn: Connection, account_id: str) -> list[dict[str, Any]]:
    """Every tag of the account, by name."""
    return repository.as_wire(repository.all_tags(conn, account_id))


def tag_contact(
    conn: Connection,
    account_id: str,
    *,
    tag: str,
    description: str | None,
    phone_number: str | None,
    email: str | None,
) -> tuple[str, dict[str, Any]]:
    """Tag the contact found by phone and/or email; (contact id, the tag)."""
    contact = contacts_service.find_contact(
        conn, account_id, phone_number=phone_number, email=email
    )
    ref: str | TagRef = tag if description is None else TagRef(name=tag, description=description)
    contacts_service.attach_tags(conn, account_id, contact["id"], [ref])
    row = repository.get(conn, account_id, tag)
    assert row is not None
    return contact["id"], repository.as_wire([row])[0]


def put_tag(
    conn: Connection, account_id: str, name: str, description: str | None
) -> dict[str, Any]:
    """Create the tag or change its description."""
    repository.ensure(conn, account_id, [name], utcnow())
    repository.set_description(conn, account_id, name, description)
    row = repository.get(conn, account_id, name)
    assert row is not None
    return repository.as_wire([row])[0]


def delete_tag(conn: Connection, account_id: str, name: str) -> None:
    """Delete a tag; every contact loses it."""
    if repository.delete_tag(conn, account_id, name) == 0:
        raise NotFound("Tag not found")
