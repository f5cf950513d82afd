"""Wire shapes of lists and list memberships (read shapes as ``TypedDict``s: see tags.schemas)."""

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from typing_extensions import TypedDict

from contacthub.core.clock import to_wire
from contacthub.core.wire import Identifier, Label, Text, WireModel

MAX_BULK_IDS = 10_000


class ListCreate(WireModel):
    """Body of ``POST /v1/lists``."""

    name: Label
    description: Text | None = None


class ListUpdate(WireModel):
    """Body of ``PATCH /v1/lists/{listId}``: only the fields sent change; null clears the description."""

    name: Label | None = None
    description: Text | None = None

    @field_validator("name", mode="before")
    @classmethod
    def _name_not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null")
        return value


class Membership(WireModel):
    """Body (or query) of ``POST``/``DELETE /v1/contacts/lists``."""

    contact_id: str | None = Field(None, alias="contactId")
    list_id: str | None = Field(None, alias="listId")


class BulkContactIds(WireModel):
    """Body of ``POST``/``DELETE /v1/lists/{listId}/contacts``."""

    contact_ids: list[Identifier] = Field(alias="contactIds", min_length=1, max_length=MAX_BULK_IDS)


class ListOut(TypedDict):
    """A list as the API shows it."""

    id: Annotated[str, Field(examples=["ls_01JDXQ2V3M4N5P6Q7R8S9T0V1W"])]
    name: str
    description: str | None
    contactCount: int
    createdAt: str
    updatedAt: str


def list_out(row: Any) -> ListOut:
    """A list as the API shows it."""
    return {
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "contactCount": row.contact_count,
        "createdAt": to_wire(row.created_at),
        "updatedAt": to_wire(row.updated_at),
    }


class ListData(TypedDict):
    success: Literal[True]
    data: ListOut


class ListPage(TypedDict):
    success: Literal[True]
    data: list[ListOut]
    nextCursor: str | None


class BulkAdded(TypedDict):
    added: int
    alreadyMembers: int
    notFound: list[str]


class BulkAddResult(TypedDict):
    success: Literal[True]
    data: BulkAdded


class BulkRemoved(TypedDict):
    removed: int
    notMembers: int
    notFound: list[str]


class BulkRemoveResult(TypedDict):
    success: Literal[True]
    data: BulkRemoved
