"""HTTP routes of /v1/account: the caller's own account (API.md §1, "National numbers")."""

from fastapi import APIRouter

from contacthub.accounts import service
from contacthub.accounts.auth import CurrentPrincipal
from contacthub.accounts.schemas import AccountData, AccountPatch, account_out
from contacthub.core.deps import ReadConn, WriteConn
from contacthub.core.responses import JSON
from contacthub.errors import error_responses

router = APIRouter(prefix="/account", tags=["account"])


@router.get("", response_model=AccountData, responses=error_responses(401))
async def get_account(principal: CurrentPrincipal, conn: ReadConn) -> JSON:
    """The account the key belongs to."""
    shown: AccountData = {
        "success": True,
        "data": account_out(service.get_account(conn, principal.account_id)),
    }
    return JSON(shown)


@router.patch("", response_model=AccountData, responses=error_responses(400, 401, 403))
async def patch_account(principal: CurrentPrincipal, conn: WriteConn, body: AccountPatch) -> JSON:
    """Change the account's settings: ``defaultCountry`` (null clears it)."""
    if "default_country" in body.model_fields_set:
        account = service.set_default_country(conn, principal.account_id, body.default_country)
    else:
        account = service.get_account(conn, principal.account_id)
    shown: AccountData = {"success": True, "data": account_out(account)}
    return JSON(shown)
