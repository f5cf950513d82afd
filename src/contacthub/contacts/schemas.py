"""Wire shapes of contacts: request bodies, and the contact object as the API shows it.

The original API's naming quirks live here and only here: camelCase everywhere except the
snake_case ``is_bot_active`` and ``do_not_disturb``, and the aliases real clients send.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import Field, StringConstraints, field_validator
from typing_extensions import TypedDict

from contacthub.core.clock import CHAT_WINDOW, to_wire
from contacthub.core.emails import email_key, normalise_email
from contacthub.core.phones import canonical
from contacthub.core.wire import Identifier, JsonObject, Label, Name, WireModel
from contacthub.tags.schemas import TagRef

# Free text a person writes (why the contact asked not to be disturbed): bounded, stored as given.
Reason = Annotated[str, StringConstraints(max_length=255)]
_READ_ONLY_ACTIVITY = (
    "is read-only: it is kept from the contact's messages (POST /v1/contacts/messages/{contactId})"
)


_READ_ONLY_FIELD: dict[str, Any] = {"json_schema_extra": {"readOnly": True}}


class ContactWrite(WireModel):
    """The writable fields of a contact, shared by create, update and upsert.

    ``phoneNumber`` is only checked for its shape here: the account's default country, which a
    number without its country code is read in, is known to the service (accounts.service
    .phone_number), which turns it into E.164.
    """

    accepted_aliases = {
        "phone": "phoneNumber",
        "isBotActive": "is_bot_active",
        "doNotDisturb": "do_not_disturb",
        "custom_fields": "customFields",
    }

    phone_number: str | None = Field(
        None, alias="phoneNumber", max_length=64, examples=["+14155550100"]
    )
    first_name: Name | None = Field(None, alias="firstName")
    last_name: Name | None = Field(None, alias="lastName")
    email: str | None = Field(None, max_length=320)
    instagram_id: Identifier | None = Field(None, alias="instagramId")
    current_campaign: Identifier | None = Field(None, alias="currentCampaign")
    current_campaign_data: JsonObject | None = Field(None, alias="currentCampaignData")
    channel: Identifier | None = None
    is_chat_window_open: bool | None = Field(None, alias="isChatWindowOpen")
    external_id: Identifier | None = Field(None, alias="externalId")
    custom_channel: Identifier | None = Field(None, alias="customChannel")
    chat_widget_id: Identifier | None = Field(None, alias="chatWidgetId")
    is_bot_active: bool | None = None
    do_not_disturb: bool | None = None
    do_not_disturb_reason: Reason | None = Field(None, alias="doNotDisturbReason")
    custom_fields: JsonObject | None = Field(None, alias="customFields")
    # Derived from the messages (API.md §2): named in a 400, as tags are on an update.
    last_incoming_message_at: Any = Field(None, alias="lastIncomingMessageAt", **_READ_ONLY_FIELD)
    last_activity_at: Any = Field(None, alias="lastActivityAt", **_READ_ONLY_FIELD)
    has_had_activity: Any = Field(None, alias="hasHadActivity", **_READ_ONLY_FIELD)
    bot_message_count: Any = Field(None, alias="botMessageCount", **_READ_ONLY_FIELD)

    @field_validator(
        "phone_number",
        "first_name",
        "last_name",
        "is_chat_window_open",
        "is_bot_active",
        "do_not_disturb",
        "custom_fields",
        mode="before",
    )
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null")
        return value

    @field_validator("phone_number")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is not None:
            canonical(value)  # the shape; E.164 once the account's country is known
        return value

    @field_validator(
        "last_incoming_message_at",
        "last_activity_at",
        "has_had_activity",
        "bot_message_count",
        mode="before",
    )
    @classmethod
    def _derived(cls, value: Any) -> Any:
        raise ValueError(_READ_ONLY_ACTIVITY)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else normalise_email(value)

    def columns(self, now: datetime) -> dict[str, Any]:
        """The table columns this body sets (only the fields that were sent)."""
        values = self.model_dump(include=_COLUMNS, exclude_unset=True)
        if "email" in values:
            values["email_key"] = None if self.email is None else email_key(self.email)
        if "is_chat_window_open" in self.model_fields_set:
            values["chat_window_until"] = now + CHAT_WINDOW if self.is_chat_window_open else None
        return values


# The fields of ContactWrite that are columns as they are.
_COLUMNS = set(ContactWrite.model_fields) - {
    "is_chat_window_open",
    "last_incoming_message_at",
    "last_activity_at",
    "has_had_activity",
    "bot_message_count",
}


class ContactCreate(ContactWrite):
    """Body of ``POST /v1/contacts``."""

    phone_number: str = Field(alias="phoneNumber", max_length=64, examples=["+14155550100"])
    list_id: Identifier | None = Field(None, alias="listId")
    list_ids: list[Identifier] | None = Field(None, alias="listIds", max_length=100)
    tags: list[Label | TagRef] | None = Field(None, max_length=100)


class ContactUpsert(ContactCreate):
    """Body of ``POST /v1/contacts/upsert``: like create, but ``phoneNumber`` may be absent."""

    phone_number: str | None = Field(  # type: ignore[assignment]
        None, alias="phoneNumber", max_length=64, examples=["+14155550100"]
    )


class ContactUpdate(ContactWrite):
    """Body of ``PUT`` and ``PATCH /v1/contacts/{contactId}``: only the fields sent change."""

    tags: Any = Field(None, json_schema_extra={"readOnly": True})
    list_ids: Any = Field(None, alias="listIds", json_schema_extra={"readOnly": True})

    @field_validator("tags", "list_ids", mode="before")
    @classmethod
    def _read_only(cls, value: Any) -> Any:
        raise ValueError(
            "is read-only on the contact: use the tag endpoints (POST /v1/contacts/{contactId}/tags)"
            " or the list endpoints (POST /v1/contacts/lists) to change it"
        )


@dataclass
class SearchQuery:
    """The query string of ``GET /v1/contacts/search``: each field is one parameter (a dependency)."""

    q: Annotated[
        str | None, Query(max_length=255, description="Prefix of a name, phone number or email")
    ] = None
    list_id: Annotated[str | None, Query(alias="listId")] = None
    tag: Annotated[str | None, Query(max_length=255)] = None
    channel: Annotated[str | None, Query(max_length=255)] = None
    is_bot_active: Annotated[bool | None, Query()] = None
    do_not_disturb: Annotated[bool | None, Query()] = None
    is_chat_window_open: Annotated[bool | None, Query(alias="isChatWindowOpen")] = None
    updated_since: Annotated[
        str | None, Query(alias="updatedSince", description="ISO 8601; sorts by updatedAt")
    ] = None
    limit: Annotated[int | None, Query()] = None
    cursor: Annotated[str | None, Query()] = None


class ContactOut(TypedDict):
    """The contact object: what ``contact_out`` builds and the OpenAPI document shows."""

    id: Annotated[str, Field(examples=["ct_01JDXQ2V3M4N5P6Q7R8S9T0V1W"])]
    phoneNumber: str | None
    firstName: str
    lastName: str
    email: str | None
    instagramId: str | None
    currentCampaign: str | None
    currentCampaignData: dict[str, Any] | None
    channel: str | None
    isChatWindowOpen: bool
    externalId: str | None
    customChannel: str | None
    chatWidgetId: str | None
    is_bot_active: bool
    do_not_disturb: bool
    isBotActive: bool
    doNotDisturb: bool
    doNotDisturbReason: str | None
    lastIncomingMessageAt: str | None
    lastActivityAt: str | None
    hasHadActivity: bool
    botMessageCount: int
    customFields: dict[str, Any]
    tags: list[str]
    listIds: list[str]
    createdAt: str
    updatedAt: str


def contact_out(row: Any, *, tags: list[str], list_ids: list[str], now: datetime) -> ContactOut:
    """The contact object of API.md §2."""
    return {
        "id": row.id,
        "phoneNumber": row.phone_number,
        "firstName": row.first_name,
        "lastName": row.last_name,
        "email": row.email,
        "instagramId": row.instagram_id,
        "currentCampaign": row.current_campaign,
        "currentCampaignData": row.current_campaign_data,
        "channel": row.channel,
        "isChatWindowOpen": row.chat_window_until is not None and row.chat_window_until > now,
        "externalId": row.external_id,
        "customChannel": row.custom_channel,
        "chatWidgetId": row.chat_widget_id,
        "is_bot_active": row.is_bot_active,
        "do_not_disturb": row.do_not_disturb,
        # The spellings clients of the original read (API.md §2), and the activity kept with the
        # contact as messages are recorded.
        "isBotActive": row.is_bot_active,
        "doNotDisturb": row.do_not_disturb,
        "doNotDisturbReason": row.do_not_disturb_reason,
        "lastIncomingMessageAt": to_wire(row.last_incoming_message_at),
        "lastActivityAt": to_wire(row.last_activity_at),
        "hasHadActivity": row.last_activity_at is not None,
        "botMessageCount": row.bot_message_count,
        "customFields": row.custom_fields,
        "tags": tags,
        "listIds": list_ids,
        "createdAt": to_wire(row.created_at),
        "updatedAt": to_wire(row.updated_at),
    }


class ContactFound(TypedDict):
    success: Literal[True]
    contactId: str
    contact: ContactOut


class CreatedData(TypedDict):
    message: Literal["Successfully created new contact"]
    contactId: str


class ContactCreated(TypedDict):
    """The seed's answer, with the id and the contact at the top level too, where clients of the
    original look for them."""

    success: Literal[True]
    data: CreatedData
    contactId: str
    contact: ContactOut


class ContactUpdated(TypedDict):
    success: Literal[True]
    message: Literal["Contact updated successfully"]
    contact: ContactOut


class ContactData(TypedDict):
    success: Literal[True]
    data: ContactOut


# The identifiers upsert matches on, by wire name.
MatchedBy = Literal["phoneNumber", "externalId", "instagramId", "email"]


class Upserted(TypedDict):
    contactId: str
    created: bool
    matchedBy: MatchedBy | None


class ContactUpserted(TypedDict):
    success: Literal[True]
    data: Upserted


class ContactPage(TypedDict):
    success: Literal[True]
    data: list[ContactOut]
    nextCursor: str | None
