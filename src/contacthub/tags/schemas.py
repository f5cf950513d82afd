"""Wire shapes of tags."""

from pydantic import BaseModel, Field

from contacthub.core.wire import Label, Text, WireModel


class TagOut(BaseModel):
    """A tag as the original API shows it."""

    name: str = Field(examples=["vip"])
    description: str | None


class TagList(BaseModel):
    success: bool = True
    data: list[TagOut]


class TagContact(WireModel):
    """Body (or query) of ``POST /v1/tags``: tag the contact with this phone number or email."""

    tag: Label | None = None
    phone_number: str | None = Field(None, alias="phoneNumber", max_length=64)
    email: str | None = Field(None, max_length=320)
    description: Text | None = None


class TagUpdate(WireModel):
    """Body of ``PUT /v1/tags/{name}``."""

    description: Text | None = None


class Tagged(BaseModel):
    contactId: str
    tag: TagOut


class TaggedResult(BaseModel):
    success: bool = True
    message: str
    data: Tagged


class TagData(BaseModel):
    success: bool = True
    data: TagOut
