"""Accounts and keys: creating, listing, revoking and rotating keys; the principal a live key's row
stands for (the key check itself is ``accounts.auth``)."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from contacthub.accounts import repository
from contacthub.core import security
from contacthub.core.clock import utcnow
from contacthub.core.ids import new_id
from contacthub.core.phones import InvalidCountry, country_code, is_international
from contacthub.core.wire import phone_param
from contacthub.errors import BadRequest, Conflict, NotFound, Unauthorized

# last_used_at is a hint for humans; writing it on every request would make every GET a write.
_TOUCH_EVERY = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts as: the account its key belongs to."""

    account_id: str
    key_id: str
    read_only: bool
    last_used_at: datetime | None = None

    def use_is_due(self, now: datetime) -> bool:
        """Whether the key's last_used_at is old enough to be written again."""
        return self.last_used_at is None or now - self.last_used_at > _TOUCH_EVERY


def create_account(conn: Connection, name: str, *, default_country: str | None = None) -> str:
    """Create an account; its id. Names are unique."""
    account_id = new_id("account")
    country = None if default_country is None else _country(default_country)
    try:
        with conn.begin_nested():
            repository.insert_account(
                conn, id=account_id, name=name, default_country=country, created_at=utcnow()
            )
    except IntegrityError:
        raise Conflict(f"An account named {name!r} already exists") from None
    return account_id


def _country(raw: str) -> str:
    """An ISO 3166-1 alpha-2 code phone numbers are known for, or 400."""
    try:
        return country_code(raw)
    except InvalidCountry as exc:
        raise BadRequest(str(exc)) from None


def get_account(conn: Connection, account_id: str) -> dict[str, Any]:
    """The account: id, name, default_country, created_at."""
    row = repository.get_account(conn, account_id)
    if row is None:  # erased while its key was still live: as absent as a nonexistent one
        raise NotFound("Account not found")
    return row._asdict()


def set_default_country(conn: Connection, account: str, country: str | None) -> dict[str, Any]:
    """Set (or, with None, clear) the account's default country; the account (id or name)."""
    account_id = resolve_account(conn, account)
    repository.set_default_country(conn, account_id, country and _country(country))
    return get_account(conn, account_id)


def phone_number(conn: Connection, account_id: str, raw: str, field: str = "phoneNumber") -> str:
    """A number in E.164; one without a country code is read in the account's default country
    (core.phones has the rule), which is looked up only then. A 400 naming ``field``."""
    country = None if is_international(raw) else repository.default_country(conn, account_id)
    return phone_param(raw, country, field)


def resolve_account(conn: Connection, id_or_name: str) -> str:
    """The id of the account with this id or name."""
    row = repository.find_account(conn, id_or_name)
    if row is None:
        raise NotFound(f"No account has the id or name {id_or_name!r}")
    account_id: str = row.id
    return account_id


def list_accounts(conn: Connection) -> list[dict[str, Any]]:
    """Every account."""
    return [row._asdict() for row in repository.list_accounts(conn)]


def create_key(conn: Connection, account: str, *, read_only: bool = False) -> tuple[str, str]:
    """A new key for the account (id or name): (key id, the key itself, shown only now)."""
    account_id = resolve_account(conn, account)
    key = security.new_key()
    key_id = new_id("key")
    repository.insert_key(
        conn,
        account_id=account_id,
        id=key_id,
        key_hash=security.hash_key(key),
        hint=security.hint(key),
        read_only=read_only,
        created_at=utcnow(),
    )
    return key_id, key


def list_keys(conn: Connection, account: str) -> list[dict[str, Any]]:
    """An account's keys (never the keys themselves: only their hints)."""
    account_id = resolve_account(conn, account)
    return [row._asdict() for row in repository.list_keys(conn, account_id)]


def revoke_key(conn: Connection, key_id: str) -> None:
    """Revoke one key; it is refused from the next request on."""
    if repository.revoke_keys(conn, None, key_id=key_id, when=utcnow()) == 0:
        raise NotFound(f"No live key has the id {key_id!r}")


def rotate_keys(conn: Connection, account: str) -> str:
    """Revoke every key of the account and make a new one, returned."""
    account_id = resolve_account(conn, account)
    repository.revoke_keys(conn, account_id, key_id=None, when=utcnow())
    return create_key(conn, account_id)[1]


def principal_from(row: Mapping[str, Any] | None) -> Principal:
    """The principal of a live key's row (``repository.LIVE_KEY``), or 401 without one."""
    if row is None:
        raise Unauthorized()
    return Principal(
        account_id=row["account_id"],
        key_id=row["id"],
        read_only=row["read_only"],
        last_used_at=row["last_used_at"],
    )


def record_use(conn: Connection, principal: Principal, when: datetime) -> None:
    """Note when a key was last used."""
    repository.touch_key(conn, principal.account_id, principal.key_id, when)
