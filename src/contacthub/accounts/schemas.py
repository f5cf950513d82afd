"""Wire shapes of the account: the body of ``PATCH /v1/account`` and the account as shown."""

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from typing_extensions import TypedDict

from contacthub.core.clock import to_wire
from contacthub.core.phones import country_code
from contacthub.core.wire import WireModel


class AccountPatch(WireModel):
    """Body of ``PATCH /v1/account``: only the fields sent change."""

    default_country: str | None = Field(
        None,
        alias="defaultCountry",
        max_length=16,
        examples=["NL"],
        description="ISO 3166-1 alpha-2; numbers without a country code are read in it; null clears",
    )

    @field_validator("default_country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        return None if value is None else country_code(value)


class AccountOut(TypedDict):
    """The account as the API shows it."""

    id: Annotated[str, Field(examples=["acc_01JDXQ2V3M4N5P6Q7R8S9T0V1W"])]
    name: str
    defaultCountry: Annotated[str | None, Field(examples=["NL"])]
    createdAt: str


def account_out(row: dict[str, Any]) -> AccountOut:
    """The account as the API shows it."""
    return {
        "id": row["id"],
        "name": row["name"],
        "defaultCountry": row["default_country"],
        "createdAt": to_wire(row["created_at"]),
    }


class AccountData(TypedDict):
    success: Literal[True]
    data: AccountOut
