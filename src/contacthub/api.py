"""The one table of routes. Every /v1 router is authenticated here, as a whole."""

from fastapi import APIRouter, Depends

from contacthub.accounts.auth import current_principal
from contacthub.contacts.endpoints import router as contacts_router
from contacthub.lists.endpoints import router as lists_router
from contacthub.tags.endpoints import router as tags_router

v1 = APIRouter(prefix="/v1", dependencies=[Depends(current_principal)])
v1.include_router(contacts_router)
v1.include_router(lists_router)
v1.include_router(tags_router)
