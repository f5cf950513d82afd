"""Wire shapes shared by every feature (for the OpenAPI document). The error envelope, ``ErrorOut``,
lives with the errors (``contacthub.errors``)."""

from pydantic import BaseModel


class Done(BaseModel):
    """A write whose answer is a sentence."""

    success: bool = True
    message: str
