"""Every table, one module each."""

from contacthub.models.account import Account, ApiKey
from contacthub.models.base import Base
from contacthub.models.contact import Contact
from contacthub.models.event import Event, EventCounter
from contacthub.models.idempotency import IdempotencyContact, IdempotencyKey
from contacthub.models.lists import ContactList, ListMembership
from contacthub.models.message import Message
from contacthub.models.secret import ServerSecret
from contacthub.models.tag import ContactTag, Tag
from contacthub.models.webhook import Job, Webhook, WebhookDelivery

__all__ = [
    "Account",
    "ApiKey",
    "Base",
    "Contact",
    "ContactList",
    "ContactTag",
    "Event",
    "EventCounter",
    "IdempotencyContact",
    "IdempotencyKey",
    "Job",
    "ListMembership",
    "Message",
    "ServerSecret",
    "Tag",
    "Webhook",
    "WebhookDelivery",
]
