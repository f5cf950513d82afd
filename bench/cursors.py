"""Cursors to start pages from, collected by walking an endpoint's pages over HTTP."""

from typing import Any

import httpx2 as httpx

WALK_LIMIT = 500  # the largest page: the walk covers the most rows per request


def walk(base_url: str, key: str, path: str, params: dict[str, Any], pages: int) -> list[str]:
    """The ``nextCursor`` of up to ``pages`` consecutive pages of ``path``."""
    cursors: list[str] = []
    cursor = None
    with httpx.Client(base_url=base_url, headers={"X-API-Key": key}, timeout=60) as client:
        while len(cursors) < pages:
            query = {**params, "limit": WALK_LIMIT} | ({"cursor": cursor} if cursor else {})
            response = client.get(path, params=query)
            response.raise_for_status()
            cursor = response.json()["nextCursor"]
            if cursor is None:
                break
            cursors.append(cursor)
    return cursors
