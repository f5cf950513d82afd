"""No ``await`` between a transaction's first statement and its commit (core/db.py says why).

Connections are sync and run on the event loop while they hold SQLite's write lock or PostgreSQL's
row locks; an ``await`` inside would let another request queue on that lock on the loop itself.
The rule is checked on the source: an ``await`` (or ``async for``/``async with``) inside a ``with``
block that opens a transaction (``read(…)``, ``write(…)``, ``.begin()``, ``.connect()``,
``.begin_nested()``), or anywhere in an ``async def`` that takes a connection (``ReadConn``,
``WriteConn``, ``Connection``), fails with the file and line.
"""

import ast
from pathlib import Path

import contacthub

SOURCE = Path(contacthub.__file__).parent
OPENERS = {"read", "write", "begin", "connect", "begin_nested"}
CONNECTIONS = {"ReadConn", "WriteConn", "Connection"}


def _awaits(nodes: list[ast.stmt]) -> list[ast.Await | ast.AsyncFor | ast.AsyncWith]:
    """Every await in these statements, not counting functions defined inside them."""
    found: list[ast.Await | ast.AsyncFor | ast.AsyncWith] = []
    stack: list[ast.AST] = list(nodes)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.Await | ast.AsyncFor | ast.AsyncWith):
            found.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return found


def _opens_transaction(item: ast.withitem) -> bool:
    call = item.context_expr
    if not isinstance(call, ast.Call):
        return False
    name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
    return name in OPENERS


def _takes_connection(function: ast.AsyncFunctionDef) -> bool:
    arguments = function.args
    for argument in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
        annotation = argument.annotation
        if annotation is not None and any(
            isinstance(node, ast.Name | ast.Attribute)
            and (node.id if isinstance(node, ast.Name) else node.attr) in CONNECTIONS
            for node in ast.walk(annotation)
        ):
            return True
    return False


def violations(source: str, filename: str) -> list[str]:
    """Where this module awaits inside a transaction, as ``file:line: why``."""
    found = []
    tree = ast.parse(source, filename)
    for node in ast.walk(tree):
        if isinstance(node, ast.AsyncFunctionDef) and _takes_connection(node):
            found += [
                f"{filename}:{inner.lineno}: await in {node.name}(), which takes a connection"
                for inner in _awaits(node.body)
            ]
        if isinstance(node, ast.With) and any(_opens_transaction(item) for item in node.items):
            found += [
                f"{filename}:{inner.lineno}: await inside the transaction opened at line "
                f"{node.lineno}"
                for inner in _awaits(node.body)
            ]
    return found


def test_no_await_inside_a_transaction() -> None:
    found = [
        violation
        for path in sorted(SOURCE.rglob("*.py"))
        for violation in violations(path.read_text(), str(path.relative_to(SOURCE.parent)))
    ]

    assert found == []


def test_the_check_sees_each_kind_of_violation() -> None:
    # The check above proves nothing unless it fails on code that breaks the rule.
    broken = """
async def endpoint(principal: CurrentPrincipal, conn: WriteConn) -> None:
    service.create(conn)
    await notify()

async def middleware(engine: Engine) -> None:
    with db.write(engine) as conn:
        repository.claim(conn)
        await call_next()
    await after_commit()  # fine: the transaction has ended

async def session(engine: Engine) -> None:
    with engine.begin() as conn:
        async for item in stream():
            conn.execute(item)

async def fine(engine: Engine) -> None:
    await before()
    with db.read(engine) as conn:
        def later() -> None: ...
        conn.execute(statement)
    await after()
"""

    found = violations(broken, "broken.py")

    assert found == [
        "broken.py:4: await in endpoint(), which takes a connection",
        "broken.py:9: await inside the transaction opened at line 7",
        "broken.py:14: await inside the transaction opened at line 13",
    ]
