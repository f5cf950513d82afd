"""The rules in STYLE.md that keep the code honest, checked rather than hoped for."""

import ast
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from sqlalchemy import UniqueConstraint

import contacthub
from contacthub.migrations import alembic_config
from contacthub.models import Base

SOURCE = Path(contacthub.__file__).parent

# Tables that are not tenant data, and the unique keys allowed not to lead with account_id.
# server_secrets: the server's own (cursors); jobs: the workers' periodic jobs (sweeps).
NOT_TENANT_TABLES = {"accounts", "server_secrets", "jobs"}
GLOBAL_UNIQUE_KEYS = {("api_keys", ("key_hash",))}  # how a request finds its account at all


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


# Where queries are written: every repository, and the phone lookup's hot path, which builds its
# own statements to run them on the driver connections.
QUERY_MODULES = [*sorted(SOURCE.glob("*/repository.py")), SOURCE / "contacts" / "lookup.py"]

# Statements that work across accounts, each for a stated reason: by module, the function or the
# module-level name that builds them. Every name here must still build a statement.
CROSS_ACCOUNT_QUERIES = {
    "accounts/repository.py": {
        "insert_account",  # makes the account
        "find_account",  # the CLI names accounts
        "list_accounts",  # the CLI lists accounts
        "revoke_keys",  # the CLI revokes a key by its id
    },
    "idempotency/repository.py": {"sweep"},  # forgets day-old records of every account
    # The workers serve every account: they find work across accounts, then handle each row
    # within its own account.
    "webhooks/repository.py": {"endpoints_behind", "claim_due"},
    "events/repository.py": {"sweep"},  # the retention sweep: old events of every account
}

# What builds a statement. ``text`` is here so that raw SQL, which this file cannot read, fails.
BUILDERS = {"select", "update", "delete", "insert", "insert_ignoring_duplicates", "text"}
TABLES = {mapper.class_.__name__: mapper.class_.__table__ for mapper in Base.registry.mappers}
TENANT_MODELS = {name for name, table in TABLES.items() if "account_id" in table.c}
# A row found by a globally unique key (a key's hash) decides the account by itself.
FINDS_THE_ACCOUNT = {
    (name, columns[0])
    for name, table in TABLES.items()
    for t, columns in GLOBAL_UNIQUE_KEYS
    if table.name == t and len(columns) == 1
}

Unit = ast.FunctionDef | ast.AsyncFunctionDef | ast.stmt


def _units(tree: ast.Module) -> Iterator[tuple[str, Unit]]:
    """Every function and method, private ones too, and every other module-level statement, each
    by the name it defines."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node.name, node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    yield f"{node.name}.{item.name}", item
        else:
            targets = node.targets if isinstance(node, ast.Assign) else []
            if isinstance(node, ast.AnnAssign):
                targets = [node.target]
            names = [target.id for target in targets if isinstance(target, ast.Name)]
            yield (names[0] if names else f"line {node.lineno}"), node


def _called(node: ast.AST) -> str | None:
    """The name a call calls (``select`` for ``select(...)`` and ``sa.select(...)``)."""
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name):
            return node.func.id
        if isinstance(node.func, ast.Attribute):
            return node.func.attr
    return None


def _root(node: ast.AST) -> str | None:
    """The name ``Contact.id.label("x")`` or ``*Contact.__table__.columns`` starts from."""
    while isinstance(node, ast.Attribute | ast.Call | ast.Starred | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _builds_statement(unit: Unit) -> bool:
    return any(_called(node) in BUILDERS for node in ast.walk(unit))


def _queried_models(unit: Unit) -> set[str]:
    """The tenant tables a unit's statements read or write: their columns, FROMs and JOINs."""
    roots: set[str | None] = set()
    for node in ast.walk(unit):
        name = _called(node)
        if not isinstance(node, ast.Call):
            continue
        if name in {"select", "update", "delete", "insert", "select_from", "join", "outerjoin"}:
            roots |= {_root(arg) for arg in node.args}
        elif name == "insert_ignoring_duplicates" and len(node.args) > 1:
            roots.add(_root(node.args[1]))
    return {root for root in roots if root in TENANT_MODELS}


def _account_column(node: ast.AST) -> str | None:
    """The table of a ``Table.account_id`` expression."""
    if isinstance(node, ast.Attribute) and node.attr == "account_id":
        return node.value.id if isinstance(node.value, ast.Name) else None
    return None


def _compared_models(unit: Unit) -> set[str]:
    """The tables whose ``account_id`` a unit holds to one account: compared in a WHERE with a
    value, found by a key that decides the account, or joined on ``account_id`` to such a table."""
    anchored: set[str] = set()
    joined: list[tuple[str, str]] = []
    for node in ast.walk(unit):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        anchored |= {
            side.value.id
            for side in sides
            if isinstance(side, ast.Attribute)
            and isinstance(side.value, ast.Name)
            and (side.value.id, side.attr) in FINDS_THE_ACCOUNT
        }
        tables = [_account_column(side) for side in sides]
        named = [table for table in tables if table is not None]
        if len(named) == 2 and len(sides) == 2:
            joined.append((named[0], named[1]))
        else:
            anchored |= set(named)
    while True:
        more = {b for a, b in joined if a in anchored} | {a for a, b in joined if b in anchored}
        if more <= anchored:
            return anchored
        anchored |= more


def _carries_account_id(node: ast.AST | None) -> bool:
    """Whether rows written as a dict literal (or a list of them) set ``account_id``."""
    if isinstance(node, ast.List) and node.elts:
        node = node.elts[0]
    if isinstance(node, ast.ListComp):
        node = node.elt
    return isinstance(node, ast.Dict) and any(
        isinstance(key, ast.Constant) and key.value == "account_id" for key in node.keys
    )


def _sets_account_id(unit: Unit) -> bool:
    """Whether the unit itself gives the rows it inserts their ``account_id``."""
    return any(
        _carries_account_id(node)
        or (isinstance(node, ast.Call) and any(k.arg == "account_id" for k in node.keywords))
        for node in ast.walk(unit)
    )


def _rows_parameters(unit: Unit) -> list[tuple[int, str]]:
    """(position, name) of the parameters a function inserts as whole rows."""
    if not isinstance(unit, ast.FunctionDef | ast.AsyncFunctionDef):
        return []
    inserted: set[str] = set()
    for node in ast.walk(unit):
        if not isinstance(node, ast.Call):
            continue
        on_insert = (
            _called(node) == "values"
            and isinstance(node.func, ast.Attribute)
            and _called(node.func.value) == "insert"
        )
        if on_insert or _called(node) == "insert_ignoring_duplicates":
            arguments = [*node.args, *(k.value for k in node.keywords)]
            inserted |= {n.id for a in arguments for n in ast.walk(a) if isinstance(n, ast.Name)}
    params = [a.arg for a in unit.args.args]
    return [(i, p) for i, p in enumerate(params) if p in inserted and p != "conn"]


def _query_units() -> Iterator[tuple[str, str, Unit]]:
    """(module, name, unit) of everything in the query modules that builds a statement."""
    for path in QUERY_MODULES:
        relative = path.relative_to(SOURCE).as_posix()
        for name, unit in _units(ast.parse(path.read_text())):
            if _builds_statement(unit):
                yield relative, name, unit


def _unconfined() -> Iterator[tuple[str, str, Unit]]:
    """The units that neither compare nor set the account_id of every tenant table they touch."""
    for relative, name, unit in _query_units():
        if name in CROSS_ACCOUNT_QUERIES.get(relative, set()):
            continue
        if (_queried_models(unit) - _compared_models(unit)) and not _sets_account_id(unit):
            yield relative, name, unit


def test_every_query_is_confined_to_an_account() -> None:
    built: dict[str, set[str]] = {}
    for relative, name, unit in _query_units():
        built.setdefault(relative, set()).add(name)
        assert not any(_called(node) == "text" for node in ast.walk(unit)), (
            f"{relative}:{name} writes SQL as text, which this test cannot read"
        )
        if isinstance(unit, ast.FunctionDef | ast.AsyncFunctionDef):
            params = [a.arg for a in unit.args.args + unit.args.kwonlyargs]
            uses = {n.id for n in ast.walk(unit) if isinstance(n, ast.Name)}
            assert "account_id" not in params or "account_id" in uses, (
                f"{relative}:{name} ignores its account_id"
            )
    for relative, name, unit in _unconfined():
        # Only a function that inserts the rows it is given may go on: the next test follows
        # those rows to every caller.
        assert _rows_parameters(unit), f"{relative}:{name} does not confine its query to an account"
    for relative, allowed in CROSS_ACCOUNT_QUERIES.items():
        assert allowed <= built.get(relative, set()), f"{relative}: {allowed} build no statement"


def test_inserts_of_whole_rows_carry_the_account() -> None:
    # A repository function that inserts the rows it is given (``values``) is confined by its
    # callers: each must pass a dict that sets account_id, written out where it is called or
    # assigned in the calling function.
    checked = 0
    for relative, name, unit in _unconfined():
        for position, parameter in _rows_parameters(unit):
            calls = 0
            for path in sorted(SOURCE.rglob("*.py")):
                for caller in ast.walk(ast.parse(path.read_text())):
                    if not isinstance(caller, ast.FunctionDef | ast.AsyncFunctionDef):
                        continue
                    assigned = {
                        target.id: node.value
                        for node in ast.walk(caller)
                        if isinstance(node, ast.Assign)
                        for target in node.targets
                        if isinstance(target, ast.Name)
                    }
                    for call in ast.walk(caller):
                        if not isinstance(call, ast.Call) or _called(call) != name:
                            continue
                        calls += 1
                        given = dict(enumerate(call.args)).get(position) or next(
                            (k.value for k in call.keywords if k.arg == parameter), None
                        )
                        if isinstance(given, ast.Name):
                            given = assigned.get(given.id)
                        assert _carries_account_id(given), (
                            f"{path.relative_to(SOURCE)}:{call.lineno} gives {relative}:{name} "
                            "rows without an account_id"
                        )
            assert calls, f"{relative}:{name} inserts the rows it is given, and nothing calls it"
            checked += 1
    assert checked, "no function inserts rows it is given: this test has nothing left to check"


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
        assert lines <= 400, f"{path.relative_to(SOURCE)} has {lines} lines; split it (STYLE: ~400)"
