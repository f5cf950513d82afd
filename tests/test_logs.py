"""L1 and L2: what reaches a log line. Keys are redacted however the query spells them, in every
process that serves the app (create_app installs the filter, not `contacthub serve`), and control
characters are escaped so that a request cannot forge a line."""

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from contacthub.accounts.auth import Authenticate
from contacthub.core.security import new_key
from tests.factories import Account

FORGED = "2026-12-01 14:00:00,000 INFO contacthub.access: DELETE /v1/contacts/ct_ALL 200 1.0ms"


def _encoded(text: str) -> str:
    """Every character percent-encoded."""
    return "".join(f"%{byte:02X}" for byte in text.encode())


def _access_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "contacthub.access"]


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO)
    return caplog


class TestKeysWhateverTheEncoding:
    def test_a_percent_encoded_query_key_is_redacted_from_the_access_log(
        self, anonymous: TestClient, account: Account, logged: pytest.LogCaptureFixture
    ) -> None:
        key = account.key
        middle = len(key) // 2
        queries = [
            f"api%4Bey=%63%68%5F{key[3:]}",  # the review's: name and prefix encoded
            f"apiKey={key[:middle]}%{ord(key[middle]):02X}{key[middle + 1 :]}",  # one character
            f"{_encoded('apiKey')}={_encoded(key)}",  # everything
            f"apiKey={key.replace('_', '%5f')}",  # lower-case escapes
        ]
        for query in queries:
            answer = anonymous.get(f"/v1/tags?{query}")
            assert answer.status_code == 200, (query, answer.text)  # Starlette read the key

        lines = _access_lines(logged)
        assert len(lines) == len(queries)
        for line in lines:
            assert "apiKey" in line or "api%4Bey" in line or "%61" in line
            assert "[REDACTED]" in line, line
            for part in (key, key[3:], key[: middle - 1], key[middle + 1 :]):
                assert part not in line
        assert key[middle + 1 :] not in logged.text

    def test_a_key_in_another_parameter_is_redacted_even_encoded(
        self, api: TestClient, account: Account, logged: pytest.LogCaptureFixture
    ) -> None:
        api.get(f"/v1/contacts?email={_encoded(account.key)}")

        (line,) = _access_lines(logged)
        assert account.key[3:] not in line
        assert _encoded(account.key) not in line

    def test_the_error_log_and_uvicorns_access_log_are_redacted_without_contacthub_serve(
        self, app: FastAPI, logged: pytest.LogCaptureFixture
    ) -> None:
        # The app fixture is create_app(settings), nothing else: no log_config was applied.
        key = new_key()
        logging.getLogger("contacthub.app").error("could not serve ?api%%4Bey=%s", _encoded(key))
        logging.getLogger("contacthub.middleware").error("failed for %s", f"Bearer {key}")
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", f"/v1/tags?apiKey={key}", "1.1", 200
        )
        logging.getLogger("uvicorn.error").error("%s", f"/v1/tags?apiKey={_encoded(key)}")

        assert len(logged.records) == 4
        for record in logged.records:
            message = record.getMessage()
            assert key not in message and key[3:] not in message, message
            assert _encoded(key) not in message, message
            assert "[REDACTED]" in message
        assert key[3:] not in logged.text


class TestControlCharacters:
    def test_a_newline_in_the_path_cannot_forge_an_access_line(
        self, anonymous: TestClient, logged: pytest.LogCaptureFixture
    ) -> None:
        forged = FORGED.replace(" ", "%20")
        anonymous.get(f"/v1/contacts/x%0A{forged}")
        anonymous.get(f"/v1/contacts/x%0D%0A{forged}?q=%0A{forged}")

        lines = _access_lines(logged)
        assert len(lines) == 2
        for line in lines:
            assert "\n" not in line and "\r" not in line, line
            assert "\\n" in line
        assert not any(text.startswith("2026-12-01 14:00") for text in logged.text.splitlines())

    def test_a_newline_in_the_path_cannot_forge_an_error_line(
        self,
        app: FastAPI,
        account: Account,
        logged: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        async def broken(self: Authenticate, key_hash: str) -> None:
            raise RuntimeError("the key store is on fire")

        monkeypatch.setattr(Authenticate, "live_key", broken)
        client = TestClient(app, headers={"X-API-Key": account.key}, raise_server_exceptions=False)

        # No "/" in it, so that the path still reaches a route (and the key check).
        forged = "2026-12-01 14:00:00,000 INFO contacthub.app: all is well"
        answer = client.get(f"/v1/contacts/x%0A{forged.replace(' ', '%20')}")

        assert answer.status_code == 500
        errors = [r for r in logged.records if r.levelno == logging.ERROR]
        assert errors, "the failure was not logged"
        for record in errors:
            assert "\n" not in record.getMessage(), record.getMessage()
        assert "\\n2026-12-01" in logged.text
        assert not any(text.startswith("2026-12-01 14:00") for text in logged.text.splitlines())
