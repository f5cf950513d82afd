"""Fuzzing every operation of /openapi.json: no 5xx, and every answer is the one documented.

Schemathesis generates requests from the OpenAPI document (valid ones and deliberately invalid
ones) and sends them in-process to the app of each database, with a real key of a fresh account.
Each answer must not be a 5xx, must have a documented status code and content type, and its body
must match the documented schema. The number of cases is bounded and the seed fixed, so a run is
quick and CI sees the same cases every time; the count is written at the end of the run.

Half of the cases that carry a contact, list or tag (chosen by the generated value, so a replay
chooses the same) are pointed at a real one of the account, so that success answers are checked
too, not only 404s.
"""

import zlib
from collections import Counter
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine, exists, func, select

from contacthub.app import create_app
from contacthub.config import Settings
from contacthub.models import Contact, ContactList, ContactTag, Tag
from tests.factories import Account, create_contact, create_list

# Cases per operation in the fuzzing phase (the examples phase adds the document's own examples).
MAX_EXAMPLES = 20
SEED = 20261126

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "generation": {
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            # The key is sent by the test; generated keys would only test the 401 path.
            "with-security-parameters": False,
            # No example database: every run replays exactly the seeded cases.
            "database": "none",
            "no-shrink": True,
        },
        "phases": {
            # The coverage phase (hundreds of boundary cases per operation) would triple the number
            # of cases; positive and negative fuzzing with a fixed seed keeps make test quick.
            "coverage": {"enabled": False},
            "stateful": {"enabled": False},
        },
        # Values are not mined from the app's source, so the cases depend only on the document
        # and the seed: a change elsewhere in src/ does not change what is sent.
        "analysis": {"constants": {"enabled": False}},
    }
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# The document is the app's own /openapi.json, fetched over ASGI. It does not depend on the
# database, so it is read once from an app on an empty in-memory database at import time, as
# @schema.parametrize needs; every case is then sent to the app of the database under test.
schema = schemathesis.openapi.from_asgi(
    "/openapi.json",
    create_app(Settings(database_url="sqlite://", rate_limit=0, worker=False)),
    config=CONFIG,
)

# Cases sent, by database and operation.
cases_sent: Counter[tuple[str, str]] = Counter()


class CaseCount:
    """A plugin that writes, in pytest's closing summary, how many cases were sent."""

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        by_database: Counter[str] = Counter()
        operations: dict[str, set[str]] = {}
        for (database, operation), count in cases_sent.items():
            by_database[database] += count
            operations.setdefault(database, set()).add(operation)
        if not by_database:
            return
        terminalreporter.write_sep("-", "fuzzing")
        for database, count in sorted(by_database.items()):
            terminalreporter.write_line(
                f"{count} cases on {database} over {len(operations[database])} operations"
            )
        terminalreporter.write_line(f"{sum(by_database.values())} cases in total")


@pytest.fixture(scope="module", autouse=True)
def count_cases(request: pytest.FixtureRequest) -> None:
    if not request.config.pluginmanager.has_plugin("fuzz-case-count"):
        request.config.pluginmanager.register(CaseCount(), "fuzz-case-count")


class Resources:
    """A real contact (tagged, in a list, with a message), list and tag of the account.

    A fuzzed DELETE may erase one of them; all are made again the next time a case asks.
    """

    TAG = "fuzzed"

    def __init__(self, api: TestClient, engine: Engine, account: Account) -> None:
        self.api = api
        self.engine = engine
        self.account_id = account.id
        self.contact_id = ""
        self.list_id = ""

    def real(self, name: str) -> str | None:
        """The real value for a parameter or body field of this name, if there is one."""
        if name not in ("contactId", "listId", "name", "tag"):
            return None
        if not self._intact():
            self.list_id = create_list(self.api)
            self.contact_id = create_contact(self.api, tags=[self.TAG], listIds=[self.list_id])
            answer = self.api.post(
                f"/v1/contacts/messages/{self.contact_id}",
                json={"direction": "inbound", "body": "hello"},
            )
            assert answer.status_code == 201, answer.text
        return {"contactId": self.contact_id, "listId": self.list_id}.get(name, self.TAG)

    def _intact(self) -> bool:
        """Whether the contact, the list and the contact's tag are all still there (one query)."""
        mine = Contact.account_id == self.account_id
        with self.engine.connect() as conn:
            return bool(
                conn.scalar(
                    select(func.count())
                    .select_from(Contact)
                    .join(
                        ContactTag,
                        (ContactTag.account_id == Contact.account_id)
                        & (ContactTag.contact_id == Contact.id),
                    )
                    .join(
                        Tag,
                        (Tag.account_id == ContactTag.account_id) & (Tag.id == ContactTag.tag_id),
                    )
                    .where(mine, Contact.id == self.contact_id, Tag.name_key == self.TAG)
                    .where(
                        exists().where(
                            ContactList.account_id == self.account_id,
                            ContactList.id == self.list_id,
                        )
                    )
                )
            )


def _heads(value: Any) -> bool:
    """A fair coin that is a function of the generated value, so a replay flips it the same way."""
    return zlib.crc32(repr(value).encode()) % 2 == 0


def point_at_real_resources(case: schemathesis.Case[Any], resources: Resources) -> None:
    """Replace about half of the generated ids and tag names with the account's real ones."""
    for container in (case.path_parameters, case.query):
        for name, value in list((container or {}).items()):
            if _heads(value) and (real := resources.real(name)) is not None:
                container[name] = real
    if isinstance(case.body, dict):
        for name in ("contactId", "listId"):
            value = case.body.get(name)
            if isinstance(value, str) and _heads(value):
                case.body[name] = resources.real(name)


@pytest.fixture
def resources(api: TestClient, engine: Engine, account: Account) -> Resources:
    return Resources(api, engine, account)


@schema.parametrize()
@hypothesis.settings(
    # One account per operation for all its cases, on purpose: cases build on each other's data.
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture],
)
def test_every_answer_is_documented(
    case: schemathesis.Case[Any],
    app: FastAPI,
    engine: Engine,
    account: Account,
    resources: Resources,
) -> None:
    point_at_real_resources(case, resources)
    cases_sent[engine.dialect.name, case.operation.label] += 1
    case.call_and_validate(app=app, headers={"X-API-Key": account.key}, checks=CHECKS)


def test_the_document_fuzzed_is_the_one_served(anonymous: TestClient) -> None:
    assert anonymous.get("/openapi.json").json() == schema.raw_schema


# Found by fuzzing (a list named "\x00" on PostgreSQL), kept as plain cases so that every run tries
# them whatever the generator draws: a NUL character in any text must be refused or stored, never
# a server error. SQLite stores it; PostgreSQL's text and jsonb types cannot hold it.
NUL_REQUESTS = {
    "list name": ("POST", "/v1/lists", {"name": "a\x00b"}, None),
    "contact name": (
        "POST",
        "/v1/contacts",
        {"phoneNumber": "+14155550100", "firstName": "\x00"},
        None,
    ),
    "custom field": (
        "POST",
        "/v1/contacts",
        {"phoneNumber": "+14155550101", "customFields": {"k": "\x00"}},
        None,
    ),
    "contact update": ("PATCH", "/v1/contacts/{contact}", {"lastName": "\x00"}, None),
    "message body": (
        "POST",
        "/v1/contacts/messages/{contact}",
        {"direction": "inbound", "body": "\x00"},
        None,
    ),
    "tag description": ("PUT", "/v1/tags/vip", {"description": "\x00"}, None),
    "tag name in path": ("DELETE", "/v1/tags/%00", None, None),
    "search text": ("GET", "/v1/contacts/search", None, {"q": "\x00"}),
}


@pytest.mark.parametrize("request_", NUL_REQUESTS.values(), ids=NUL_REQUESTS.keys())
def test_a_nul_character_is_never_a_server_error(
    api: TestClient, request_: tuple[str, str, Any, Any]
) -> None:
    method, path, body, query = request_
    path = path.format(contact=create_contact(api)) if "{contact}" in path else path

    answer = api.request(method, path, json=body, params=query)

    assert answer.status_code < 500, answer.text
