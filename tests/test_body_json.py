"""L10: a body the JSON parser cannot read is the contract's ``400 validation_error`` naming
``body``, worded as any other malformed JSON, never the undocumented ``http_error``."""

import pytest
from fastapi.testclient import TestClient

from tests.factories import assert_invalid

UNREADABLE = {
    "invalid UTF-8": b'{"firstName": "\xff"}',
    "arrays nested 2,000 deep": b"[" * 2000 + b"]" * 2000,
    "objects nested 2,000 deep": b'{"a":' * 2000 + b"1" + b"}" * 2000,
}


@pytest.mark.parametrize("body", UNREADABLE.values(), ids=UNREADABLE.keys())
@pytest.mark.parametrize("path", ["/v1/contacts", "/v1/lists"])
def test_a_body_the_parser_cannot_read_is_invalid_json(
    api: TestClient, path: str, body: bytes
) -> None:
    answer = api.post(path, content=body)

    assert_invalid(answer, "body")
    assert answer.json()["error"] == "validation_error"  # before: "http_error"
    assert answer.json()["message"].startswith("Invalid request: body is not valid JSON")


def test_plain_malformed_json_keeps_its_wording(api: TestClient) -> None:
    answer = api.post("/v1/contacts", content=b'{"phoneNumber": ')

    assert_invalid(answer, "body")
    assert answer.json()["message"] == "Invalid request: body is not valid JSON (Expecting value)"
