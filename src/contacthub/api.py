"""The one table of routes. Every /v1 router is authenticated here, as a whole."""

from fastapi import APIRouter, Depends

from contacthub.accounts.auth import current_principal
from contacthub.contacts.endpoints import router as contacts_router
from contacthub.errors import error_responses
from contacthub.lists.endpoints import router as lists_router
from contacthub.tags.endpoints import router as tags_router

# Any /v1 request can be malformed (a NUL in the URL, a bad Idempotency-Key), carry a bad key, or
# be rate limited; each route documents its own statuses on top of these.
v1 = APIRouter(
    prefix="/v1",
    dependencies=[Depends(current_principal)],
    responses=error_responses(400, 401, 429),
)
v1.include_router(contacts_router)
v1.include_router(lists_router)
v1.include_router(tags_router)
