"""The one table of routes. Every /v1 router is authenticated here, as a whole."""

from fastapi import APIRouter, Depends

from contacthub.accounts.auth import current_principal
from contacthub.accounts.endpoints import router as account_router
from contacthub.contacts.endpoints import router as contacts_router
from contacthub.errors import error_responses
from contacthub.events.endpoints import router as events_router
from contacthub.lists.endpoints import membership_router
from contacthub.lists.endpoints import router as lists_router
from contacthub.messages.endpoints import router as messages_router
from contacthub.tags.endpoints import contact_tags_router
from contacthub.tags.endpoints import router as tags_router
from contacthub.webhooks.endpoints import router as webhooks_router

# Any /v1 request can be malformed (a NUL in the URL, a bad Idempotency-Key), carry a bad key, or
# be rate limited; each route documents its own statuses on top of these.
v1 = APIRouter(
    prefix="/v1",
    dependencies=[Depends(current_principal)],
    responses=error_responses(400, 401, 429),
)
# The first route that matches a request answers it, so the order matters: the routes under a
# fixed word after /contacts (messages, lists, tags) come before contacts' own /contacts/{contactId},
# which would otherwise take DELETE /contacts/lists as "delete the contact with id 'lists'".
# Messages come before the contact-tag routes too: POST /contacts/messages/tags records a message,
# it does not tag a contact whose id is "messages".
v1.include_router(messages_router)  # /contacts/messages/{contactId}
v1.include_router(membership_router)  # /contacts/lists
v1.include_router(contact_tags_router)  # /contacts/tags/{contactId}, /contacts/{contactId}/tags…
v1.include_router(contacts_router)  # /contacts, /contacts/search, /contacts/{contactId}
v1.include_router(lists_router)
v1.include_router(tags_router)
v1.include_router(account_router)  # /account: the caller's own
v1.include_router(events_router)
v1.include_router(webhooks_router)
