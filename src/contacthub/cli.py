"""The ``contacthub`` command: serve, migrate, and manage accounts and keys.

Commands that make a secret or an id print it alone on stdout, so scripts can capture it;
everything meant for a person goes to stderr.
"""

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from contacthub.accounts import service as accounts
from contacthub.config import get_settings
from contacthub.core import db
from contacthub.core.clock import to_wire
from contacthub.errors import AppError

app = typer.Typer(
    help="ContactHub: the contacts backend.", no_args_is_help=True, add_completion=False
)
accounts_cli = typer.Typer(help="Accounts (tenants).", no_args_is_help=True)
keys_cli = typer.Typer(help="API keys.", no_args_is_help=True)
app.add_typer(accounts_cli, name="accounts")
app.add_typer(keys_cli, name="keys")

out = Console()
err = Console(stderr=True)


def _engine() -> Engine:
    return db.make_engine(get_settings().database_url)


def _fail(error: AppError) -> typer.Exit:
    err.print(f"[red]error:[/red] {error.message}")
    return typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (CONTACTHUB_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (CONTACTHUB_PORT)")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Server processes (CONTACTHUB_WORKERS)")
    ] = None,
    worker: Annotated[
        bool,
        typer.Option(
            "--worker/--no-worker",
            help="Run a background worker in each server process (CONTACTHUB_WORKER)",
        ),
    ] = True,
) -> None:
    """Serve the HTTP API."""
    import os

    import uvicorn

    from contacthub.logs import log_config

    if not worker:
        os.environ["CONTACTHUB_WORKER"] = "0"  # read by each server process's create_app
        get_settings.cache_clear()
    settings = get_settings()
    uvicorn.run(
        "contacthub.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        log_level=settings.log_level,
        log_config=log_config(settings.log_level),
        access_log=False,  # ours redacts keys: contacthub.middleware.AccessLog
        # X-Forwarded-For names the client only when a trusted proxy sent it (uvicorn's default
        # trusts any local peer, which let one client be many to the rate limit).
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
        server_header=False,
    )


@app.command("worker")
def run_worker() -> None:
    """Run a background worker (webhook deliveries, sweeps) until stopped; run as many as you like."""
    import asyncio
    import logging.config
    import signal
    import threading

    from contacthub.logs import log_config
    from contacthub.worker.service import Worker

    settings = get_settings()
    logging.config.dictConfig(log_config(settings.log_level))
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    err.print("worker started; Ctrl-C stops it")
    asyncio.run(Worker(db.make_engine(settings.database_url), settings).run(stop))


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema to the latest version."""
    from contacthub.migrations import upgrade

    url = get_settings().database_url
    upgrade(url)
    err.print(
        f"database is up to date ({db.make_engine(url).url.render_as_string(hide_password=True)})"
    )


@app.command()
def demo() -> None:
    """Make sure an account named demo exists and print a new key for it (for `make run`)."""
    engine = _engine()
    with db.write(engine) as conn:
        try:
            account_id = accounts.resolve_account(conn, "demo")
        except AppError:
            account_id = accounts.create_account(conn, "demo")
        _, key = accounts.create_key(conn, account_id)
    settings = get_settings()
    base = f"http://{settings.host}:{settings.port}"
    err.print(f"\n[bold]Demo account[/bold] {account_id}. Its new API key (shown once):\n")
    out.print(key, soft_wrap=True)
    # soft_wrap: one line whatever the terminal's width (or none), so the command can be pasted.
    err.print(f'\nTry:  curl -H "X-API-Key: {key}" "{base}/v1/tags"', soft_wrap=True)
    err.print(f"Docs: {base}/docs\n", soft_wrap=True)


DefaultCountry = Annotated[
    str | None,
    typer.Option(
        "--default-country",
        help="ISO 3166-1 alpha-2 (e.g. NL): numbers without a country code are read in it",
    ),
]


@accounts_cli.command("create")
def accounts_create(name: str, default_country: DefaultCountry = None) -> None:
    """Create an account; prints its id."""
    with db.write(_engine()) as conn:
        try:
            account_id = accounts.create_account(conn, name, default_country=default_country)
        except AppError as error:
            raise _fail(error) from None
    out.print(account_id)


@accounts_cli.command("set")
def accounts_set(
    account: Annotated[str, typer.Argument(help="Account id or name")],
    default_country: DefaultCountry = None,
    no_default_country: Annotated[
        bool,
        typer.Option(
            "--no-default-country", help="Clear it: numbers need their country code again"
        ),
    ] = False,
) -> None:
    """Change an account's settings (its default country)."""
    if (default_country is None) == (not no_default_country):
        err.print("[red]error:[/red] give --default-country CODE or --no-default-country")
        raise typer.Exit(2)
    with db.write(_engine()) as conn:
        try:
            row = accounts.set_default_country(conn, account, default_country)
        except AppError as error:
            raise _fail(error) from None
    err.print(f"{row['id']} ({row['name']}): default country {row['default_country'] or 'none'}")


@accounts_cli.command("list")
def accounts_list() -> None:
    """List every account."""
    with db.read(_engine()) as conn:
        rows = accounts.list_accounts(conn)
    table = Table("id", "name", "default country", "created")
    for row in rows:
        table.add_row(
            row["id"], row["name"], row["default_country"] or "", to_wire(row["created_at"])
        )
    out.print(table)


@keys_cli.command("create")
def keys_create(
    account: Annotated[str, typer.Argument(help="Account id or name")],
    read_only: Annotated[bool, typer.Option("--read-only", help="The key may only read")] = False,
) -> None:
    """Create an API key for an account; prints the key (it is not shown again)."""
    with db.write(_engine()) as conn:
        try:
            _, key = accounts.create_key(conn, account, read_only=read_only)
        except AppError as error:
            raise _fail(error) from None
    out.print(key, soft_wrap=True)


@keys_cli.command("list")
def keys_list(account: Annotated[str, typer.Argument(help="Account id or name")]) -> None:
    """List an account's keys (their ids and first characters, never the keys)."""
    with db.read(_engine()) as conn:
        try:
            rows = accounts.list_keys(conn, account)
        except AppError as error:
            raise _fail(error) from None
    table = Table("id", "key", "access", "created", "last used", "revoked")
    for row in rows:
        table.add_row(
            row["id"],
            row["hint"],
            "read" if row["read_only"] else "read-write",
            to_wire(row["created_at"]),
            to_wire(row["last_used_at"]) or "",
            to_wire(row["revoked_at"]) or "",
        )
    out.print(table)


@keys_cli.command("revoke")
def keys_revoke(key_id: str) -> None:
    """Revoke a key by its id; it is refused from the next request on."""
    with db.write(_engine()) as conn:
        try:
            accounts.revoke_key(conn, key_id)
        except AppError as error:
            raise _fail(error) from None
    err.print(f"revoked {key_id}")


@keys_cli.command("rotate")
def keys_rotate(account: Annotated[str, typer.Argument(help="Account id or name")]) -> None:
    """Revoke every key of an account and print a new one."""
    with db.write(_engine()) as conn:
        try:
            key = accounts.rotate_keys(conn, account)
        except AppError as error:
            raise _fail(error) from None
    out.print(key, soft_wrap=True)
