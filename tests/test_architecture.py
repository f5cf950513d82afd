"""The rules in STYLE.md that keep the code honest, checked rather than hoped for."""

import ast
from pathlib import Path

from alembic import command
from sqlalchemy import UniqueConstraint

import contacthub
from contacthub.migrations import alembic_config
from contacthub.models import Base

SOURCE = Path(contacthub.__file__).parent

# Tables that are not tenant data, and the unique keys allowed not to lead with account_id.
NOT_TENANT_TABLES = {"accounts"}
GLOBAL_UNIQUE_KEYS = {("api_keys", ("key_hash",))}  # how a request finds its account at all

# Repository functions that work across accounts, each for a stated reason.
CROSS_ACCOUNT_QUERIES = {
    "accounts/repository.py": {
        "insert_account",  # makes the account
        "find_account",  # the CLI names accounts
        "list_accounts",  # the CLI lists accounts
        "find_live_key",  # auth: the key decides the account
        "revoke_keys",  # the CLI revokes a key by its id
    },
    "idempotency/repository.py": {"sweep"},  # forgets day-old records of every account
}


def test_every_tenant_table_leads_its_keys_with_account_id() -> None:
    for table in Base.metadata.sorted_tables:
        if table.name in NOT_TENANT_TABLES:
            continue
        assert "account_id" in table.c, table.name
        assert next(iter(table.primary_key.columns)).name == "account_id", table.name
        uniques = [tuple(i.columns.keys()) for i in table.indexes if i.unique]
        uniques += [
            tuple(c.columns.keys()) for c in table.constraints if isinstance(c, UniqueConstraint)
        ]
        for columns in uniques:
            if (table.name, columns) in GLOBAL_UNIQUE_KEYS:
                continue
            assert columns[0] == "account_id", f"{table.name}{columns}"


def test_every_repository_query_is_confined_to_an_account() -> None:
    for path in sorted(SOURCE.glob("*/repository.py")):
        relative = str(path.relative_to(SOURCE))
        allowed = CROSS_ACCOUNT_QUERIES.get(relative, set())
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
                continue
            if node.name in allowed:
                continue
            if not any(
                isinstance(n, (ast.Call, ast.Attribute)) and _builds_statement(n)
                for n in ast.walk(node)
            ):
                continue  # a pure helper: no query
            params = [a.arg for a in node.args.args + node.args.kwonlyargs]
            uses = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            takes_rows = "values" in params or "rows" in params
            assert "account_id" in params or takes_rows, f"{relative}:{node.name} takes no account"
            if "account_id" in params:
                assert "account_id" in uses, f"{relative}:{node.name} ignores its account_id"


def _builds_statement(node: ast.AST) -> bool:
    name = node.func.id if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) else None
    return name in {"select", "update", "delete", "insert", "insert_ignoring_duplicates"}


def test_inserts_of_whole_rows_carry_the_account() -> None:
    # Functions that take ready-made rows (``values``) get them from services that set
    # account_id from the principal; check those services do.
    for path in sorted(SOURCE.glob("*/service.py")):
        text = path.read_text()
        if "insert_" in text:
            assert '"account_id": account_id' in text or "account_id=account_id" in text, path


def test_the_migrations_build_exactly_the_models(database_url: str) -> None:
    # Raises if autogenerate would find any difference between the models and the database.
    command.check(alembic_config(database_url))


def test_every_endpoint_and_service_function_says_what_it_does() -> None:
    for path in sorted(SOURCE.glob("*/*.py")):
        if path.name not in ("endpoints.py", "service.py"):
            continue
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(
                node, ast.FunctionDef | ast.AsyncFunctionDef
            ) and not node.name.startswith("_"):
                assert ast.get_docstring(node), f"{path.relative_to(SOURCE)}:{node.name}"


def test_no_module_is_a_god_module() -> None:
    for path in SOURCE.rglob("*.py"):
        if "migrations/versions" in str(path):
            continue
        lines = len(path.read_text().splitlines())
        assert lines <= 450, f"{path.relative_to(SOURCE)} has {lines} lines; split it"
