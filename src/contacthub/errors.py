"""The error tree. Every error knows its HTTP status and machine code.

    AppError                    500 internal
    ├── BadRequest              400 bad_request
    │   └── ValidationFailed    400 validation_error   (carries details: [{field, message}])
    ├── Unauthorized            401 unauthorized
    ├── Forbidden               403 forbidden
    │   └── PermissionDenied    403 permission_denied  (list membership: ids cannot be probed)
    ├── NotFound                404 not_found
    ├── MethodNotAllowed        405 method_not_allowed
    ├── Conflict                409 conflict
    │   └── ContactExists       409 contact_exists     (carries contactId)
    ├── PayloadTooLarge         413 payload_too_large
    └── RateLimited             429 rate_limited

One handler (app.py) renders each as the contract's envelope:
``{"success": false, "error": code, "message": ..., "details"?: [...], "contactId"?: ...}``.
"""

from typing import Any, ClassVar


class AppError(Exception):
    """Base of every error the API answers with; unexpected failures become a plain AppError."""

    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "internal"
    default_message: ClassVar[str] = "Something went wrong on our side; try again later"

    def __init__(
        self,
        message: str | None = None,
        *,
        details: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        self.message = message or self.default_message
        self.details = details
        self.headers = headers
        self.extra = extra
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        """The error envelope."""
        body: dict[str, Any] = {"success": False, "error": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        body.update(self.extra)
        return body


class BadRequest(AppError):
    status_code = 400
    code = "bad_request"
    default_message = "The request is not valid"


class ValidationFailed(BadRequest):
    code = "validation_error"
    default_message = "The request is not valid; see details"

    @classmethod
    def field(cls, field: str, message: str) -> "ValidationFailed":
        """One field is wrong."""
        return cls(f"{field}: {message}", details=[{"field": field, "message": message}])


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"
    default_message = "Invalid or revoked API key"


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"
    default_message = "This API key is read-only; use a key that may write"


class PermissionDenied(Forbidden):
    code = "permission_denied"
    default_message = "Permission denied"


class NotFound(AppError):
    status_code = 404
    code = "not_found"
    default_message = "Not found"


class MethodNotAllowed(AppError):
    status_code = 405
    code = "method_not_allowed"
    default_message = "This method is not allowed on this path"


class Conflict(AppError):
    status_code = 409
    code = "conflict"
    default_message = "The request conflicts with the current state"


class ContactExists(Conflict):
    code = "contact_exists"
    default_message = "Contact already exists"


class PayloadTooLarge(AppError):
    status_code = 413
    code = "payload_too_large"
    default_message = "The request body is larger than the server accepts"


class RateLimited(AppError):
    status_code = 429
    code = "rate_limited"
    default_message = "Too many requests; retry after the number of seconds in Retry-After"


# --- How errors appear in the OpenAPI document ----------------------------------------------

_DESCRIPTIONS = {
    400: "Invalid request: the message says what to fix; `details` names each field",
    401: "Missing, unknown or revoked API key",
    403: "Not allowed with this key",
    404: "Not found (another account's ids are not found either)",
    409: "Conflicts with an existing resource",
    413: "Request body too large",
    429: "Rate limited; see Retry-After",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry documenting these error statuses with the error envelope."""
    from contacthub.core.schemas import ErrorOut

    return {
        status: {"model": ErrorOut, "description": _DESCRIPTIONS[status]} for status in statuses
    }
