"""HTTP routes of /v1/webhooks (API.md §7)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from contacthub.accounts.auth import CurrentPrincipal
from contacthub.core.deps import ReadConn, WriteConn
from contacthub.core.pagination import Cursor, CursorSecret, Limit, check_limit
from contacthub.core.responses import JSON
from contacthub.core.schemas import Done
from contacthub.errors import error_responses
from contacthub.webhooks import service
from contacthub.webhooks.schemas import (
    DeliveryPage,
    QueuedData,
    Recover,
    SecretData,
    WebhookCreate,
    WebhookCreated,
    WebhookData,
    WebhookPage,
    WebhookUpdate,
)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


async def _allow_private(request: Request) -> bool:
    return bool(request.app.state.settings.webhook_allow_private)


AllowPrivate = Annotated[bool, Depends(_allow_private)]


@router.post(
    "", status_code=201, response_model=WebhookCreated, responses=error_responses(400, 401, 403)
)
async def create_webhook(
    principal: CurrentPrincipal, conn: WriteConn, body: WebhookCreate, allow_private: AllowPrivate
) -> JSON:
    """Create an endpoint; the answer shows its signing secret, this once."""
    created: WebhookCreated = {
        "success": True,
        "data": service.create_webhook(
            conn, principal.account_id, body, allow_private=allow_private
        ),
    }
    return JSON(created, status_code=201)


@router.get("", response_model=WebhookPage, responses=error_responses(400, 401))
async def list_webhooks(
    principal: CurrentPrincipal,
    conn: ReadConn,
    secret: CursorSecret,
    limit: Limit = None,
    cursor: Cursor = None,
) -> JSON:
    """The account's endpoints, oldest first (without their secrets)."""
    data, next_cursor = service.list_webhooks(
        conn, principal.account_id, cursor=cursor, limit=check_limit(limit), secret=secret
    )
    shown: WebhookPage = {"success": True, "data": data, "nextCursor": next_cursor}
    return JSON(shown)


@router.get("/{webhookId}", response_model=WebhookData, responses=error_responses(401, 404))
async def get_webhook(principal: CurrentPrincipal, conn: ReadConn, webhookId: str) -> JSON:
    """One endpoint (without its secret)."""
    shown: WebhookData = {
        "success": True,
        "data": service.get_webhook(conn, principal.account_id, webhookId),
    }
    return JSON(shown)


@router.patch(
    "/{webhookId}", response_model=WebhookData, responses=error_responses(400, 401, 403, 404)
)
async def update_webhook(
    principal: CurrentPrincipal,
    conn: WriteConn,
    webhookId: str,
    body: WebhookUpdate,
    allow_private: AllowPrivate,
) -> JSON:
    """Change an endpoint's url, events, description, or enable or disable it."""
    updated: WebhookData = {
        "success": True,
        "data": service.update_webhook(
            conn, principal.account_id, webhookId, body, allow_private=allow_private
        ),
    }
    return JSON(updated)


@router.delete("/{webhookId}", response_model=Done, responses=error_responses(401, 403, 404))
async def delete_webhook(principal: CurrentPrincipal, conn: WriteConn, webhookId: str) -> JSON:
    """Delete an endpoint and its delivery history."""
    service.delete_webhook(conn, principal.account_id, webhookId)
    return JSON({"success": True, "message": f"Webhook {webhookId} deleted"})


@router.post(
    "/{webhookId}/rotate-secret",
    response_model=SecretData,
    responses=error_responses(401, 403, 404),
)
async def rotate_secret(principal: CurrentPrincipal, conn: WriteConn, webhookId: str) -> JSON:
    """A new signing secret; deliveries carry both signatures for 24 hours."""
    rotated: SecretData = {
        "success": True,
        "data": {"secret": service.rotate_secret(conn, principal.account_id, webhookId)},
    }
    return JSON(rotated)


@router.get(
    "/{webhookId}/deliveries",
    response_model=DeliveryPage,
    responses=error_responses(400, 401, 404),
)
async def list_deliveries(
    principal: CurrentPrincipal,
    conn: ReadConn,
    webhookId: str,
    secret: CursorSecret,
    limit: Limit = None,
    cursor: Cursor = None,
) -> JSON:
    """The endpoint's delivery attempts, newest first, one row per attempt."""
    data, next_cursor = service.list_deliveries(
        conn,
        principal.account_id,
        webhookId,
        cursor=cursor,
        limit=check_limit(limit),
        secret=secret,
    )
    shown: DeliveryPage = {"success": True, "data": data, "nextCursor": next_cursor}
    return JSON(shown)


@router.post(
    "/{webhookId}/recover",
    response_model=QueuedData,
    responses=error_responses(400, 401, 403, 404),
)
async def recover(
    principal: CurrentPrincipal, conn: WriteConn, webhookId: str, body: Recover
) -> JSON:
    """Queue again every event since ``since`` that was not delivered."""
    queued = service.recover(conn, principal.account_id, webhookId, body.since_time())
    answer: QueuedData = {"success": True, "data": {"queued": queued}}
    return JSON(answer)
