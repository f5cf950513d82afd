"""The floor: a raw ASGI app that answers every request with the same small JSON document."""

from typing import Any

BODY = b'{"success":true}'
START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(BODY))],
}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Constant JSON for HTTP; nothing to do for lifespan."""
    if scope["type"] == "http":
        await send(START)
        await send({"type": "http.response.body", "body": BODY})
