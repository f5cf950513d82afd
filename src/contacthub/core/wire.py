"""Building blocks of request bodies: strict models, bounded fields, accepted aliases.

Every body model rejects unknown fields by name, takes JSON types as they are (``"true"`` is not a
boolean) and maps the aliases real clients send (``phone`` → ``phoneNumber``) onto the field names.
"""

from typing import Annotated, Any, ClassVar

import orjson
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, model_validator

from contacthub.errors import ValidationFailed

MAX_JSON_OBJECT_BYTES = 64 * 1024

# A name: a person's, a list's, a tag's. Surrounding white space is dropped.
Name = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)]
# A non-empty name (lists and tags need one to be found by).
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
# An identifier from another system: non-empty, as given.
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=255)]
Text = Annotated[str, StringConstraints(max_length=10_000)]


def _bounded_object(value: dict[str, Any]) -> dict[str, Any]:
    if len(orjson.dumps(value)) > MAX_JSON_OBJECT_BYTES:
        raise ValueError(f"must be at most {MAX_JSON_OBJECT_BYTES // 1024} KiB as JSON")
    return value


JsonObject = Annotated[dict[str, Any], AfterValidator(_bounded_object)]


class WireModel(BaseModel):
    """A request body: strict types, unknown fields rejected, aliases mapped."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=False)

    # alias the client may send → the field's wire name
    accepted_aliases: ClassVar[dict[str, str]] = {}

    @model_validator(mode="before")
    @classmethod
    def _map_aliases(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not cls.accepted_aliases:
            return data
        data = dict(data)
        for alias, name in cls.accepted_aliases.items():
            if alias in data:
                if name in data:
                    raise ValidationFailed.field(
                        alias, f"is another name for {name}; send one of the two, not both"
                    )
                data[name] = data.pop(alias)
        return data
