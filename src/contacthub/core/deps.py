"""Request-scoped database dependencies: one transaction per request, committed before the reply.

``scope="function"`` makes FastAPI leave the ``with`` block (commit, or roll back on error) as
soon as the endpoint returns, so a client never sees an answer for a write that is not yet
committed. The dependencies are ``async def`` so FastAPI runs them on the event loop, not in a
thread; the queries themselves are short and run inline (docs/architecture.md).

**No ``await`` between a transaction's first statement and its commit** (the rule, and why, is in
``core/db.py``): an endpoint that takes a ``ReadConn`` or ``WriteConn`` calls only plain functions.
Anything it must await (the caller, a body) FastAPI resolves before the endpoint runs, and the
dependency's exit commits before the answer is sent. ``tests/core/test_transactions.py`` fails on
an ``await`` in such an endpoint.
"""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection

from contacthub.core import db


async def _read(request: Request) -> AsyncIterator[Connection]:
    with db.read(request.app.state.engine) as conn:
        yield conn


async def _write(request: Request) -> AsyncIterator[Connection]:
    # The key that makes the change, for its events (accounts.auth.current_principal sets it).
    actor = getattr(request.state, "key_id", None)
    with db.write(request.app.state.engine, actor=actor) as conn:
        yield conn


ReadConn = Annotated[Connection, Depends(_read, scope="function")]
WriteConn = Annotated[Connection, Depends(_write, scope="function")]
