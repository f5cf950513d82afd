"""Wire shapes shared by every feature (for the OpenAPI document)."""

from pydantic import BaseModel, Field


class FieldError(BaseModel):
    field: str
    message: str


class ErrorOut(BaseModel):
    """The error envelope: every error, every status."""

    success: bool = False
    error: str = Field(examples=["not_found"])
    message: str = Field(examples=["Contact not found"])
    details: list[FieldError] | None = None
    contactId: str | None = None


class Done(BaseModel):
    """A write whose answer is a sentence."""

    success: bool = True
    message: str
