"""Wire shapes of tags: request bodies, and the tag as the API shows it.

The read shapes are ``TypedDict``s: the builder returns one, mypy holds its keys, and the OpenAPI
document shows the same type, while routes still answer with the built dict (no model per reply).
"""

from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter, ValidationError
from typing_extensions import TypedDict

from contacthub.core.wire import Label, Text, WireModel
from contacthub.errors import ValidationFailed

_LABEL: TypeAdapter[str] = TypeAdapter(Label)


def tag_name(raw: str, field: str = "name") -> str:
    """A tag name from a path or query, held to the same rules as one in a body (or a 400)."""
    try:
        return _LABEL.validate_python(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        message = str(error["ctx"]["error"]) if error["type"] == "value_error" else error["msg"]
        raise ValidationFailed.field(field, message[0].lower() + message[1:]) from None


class TagRef(WireModel):
    """A tag given with its description."""

    name: Label
    description: Text | None = None


class TagContact(WireModel):
    """Body (or query) of ``POST /v1/tags``: tag the contact with this phone number or email."""

    tag: Label | None = None
    phone_number: str | None = Field(None, alias="phoneNumber", max_length=64)
    email: str | None = Field(None, max_length=320)
    description: Text | None = None


class TagUpdate(WireModel):
    """Body of ``PUT /v1/tags/{name}``."""

    description: Text | None = None


class TagsToAttach(WireModel):
    """Body of ``POST /v1/contacts/{contactId}/tags``."""

    tags: list[Label | TagRef]


class TagOut(TypedDict):
    """A tag as the original API shows it."""

    name: Annotated[str, Field(examples=["vip"])]
    description: str | None


def tag_out(row: Any) -> TagOut:
    """A tag as the API shows it, from a row of (name, description)."""
    return {"name": row.name, "description": row.description}


def tags_out(rows: Iterable[Any]) -> list[TagOut]:
    """Tags as the API shows them, from rows of (name, description)."""
    return [{"name": row.name, "description": row.description} for row in rows]


class TagList(TypedDict):
    success: Literal[True]
    data: list[TagOut]


class Tagged(TypedDict):
    contactId: str
    tag: TagOut


class TaggedResult(TypedDict):
    success: Literal[True]
    message: str
    data: Tagged


class TagData(TypedDict):
    success: Literal[True]
    data: TagOut
