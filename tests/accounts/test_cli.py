"""The contacthub command: accounts and keys, against the test database (API.md §6)."""

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner, Result

from contacthub import cli as cli_module
from contacthub.cli import app as cli_app
from contacthub.config import get_settings
from contacthub.models import Account, ApiKey, ContactList

ACCOUNT_ID = re.compile(r"acc_[0-9A-Z]{26}")
KEY = re.compile(r"ch_[A-Za-z0-9_\-]{43}")

Run = Callable[..., Result]


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    """Run ``contacthub ARGS...`` against the test database."""
    # Each command makes its own engine and leaves it to the process's exit to close; here the
    # process lives on, so the engines are closed after each command (open connections would
    # otherwise be ResourceWarnings, which this suite treats as errors).
    engines: list[Engine] = []

    def tracked_engine() -> Engine:
        engine = make_engine()
        engines.append(engine)
        return engine

    make_engine = cli_module._engine
    monkeypatch.setattr(cli_module, "_engine", tracked_engine)
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str) -> Result:
        try:
            return runner.invoke(
                cli_app,
                list(args),
                env={"CONTACTHUB_DATABASE_URL": database_url, "COLUMNS": "300"},
            )
        finally:
            while engines:
                engines.pop().dispose()

    yield run
    get_settings.cache_clear()


def unique_name() -> str:
    return f"cli-{uuid.uuid4().hex[:10]}"


def create_account(cli: Run, name: str | None = None) -> str:
    result = cli("accounts", "create", name or unique_name())
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def create_key(cli: Run, account: str, *options: str) -> str:
    result = cli("keys", "create", account, *options)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def client(app: FastAPI, key: str) -> TestClient:
    return TestClient(app, headers={"X-API-Key": key}, raise_server_exceptions=False)


def key_ids(engine: Engine, account_id: str) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.scalars(
                select(ApiKey.id).where(ApiKey.account_id == account_id).order_by(ApiKey.id)
            )
        )


def assert_fails(result: Result, *words: str) -> None:
    """Non-zero exit, nothing on stdout, and a message naming ``words`` on stderr."""
    assert result.exit_code != 0, result.output
    assert result.stdout.strip() == ""
    assert result.stderr.strip()
    for word in words:
        assert word in result.stderr, (word, result.stderr)


class TestAccounts:
    def test_create_prints_the_new_accounts_id_alone(self, cli: Run, engine: Engine) -> None:
        name = unique_name()

        result = cli("accounts", "create", name)

        assert result.exit_code == 0, result.output
        assert ACCOUNT_ID.fullmatch(result.stdout.rstrip("\n")), repr(result.stdout)
        with engine.connect() as conn:
            stored = conn.execute(
                select(Account.id, Account.name).where(Account.id == result.stdout.strip())
            ).one()
        assert stored.name == name

    def test_a_taken_name_fails_and_says_so(self, cli: Run) -> None:
        name = unique_name()
        create_account(cli, name)

        assert_fails(cli("accounts", "create", name), name)

    def test_list_shows_the_account(self, cli: Run) -> None:
        name = unique_name()
        account_id = create_account(cli, name)

        result = cli("accounts", "list")

        assert result.exit_code == 0, result.output
        line = next(line for line in result.stdout.splitlines() if account_id in line)
        assert name in line


class TestKeys:
    @pytest.mark.parametrize("by", ["id", "name"])
    def test_create_prints_a_key_alone_that_works_for_that_account(
        self, cli: Run, app: FastAPI, engine: Engine, by: str
    ) -> None:
        name = unique_name()
        account_id = create_account(cli, name)

        result = cli("keys", "create", account_id if by == "id" else name)

        assert result.exit_code == 0, result.output
        key = result.stdout.rstrip("\n")
        assert KEY.fullmatch(key), repr(result.stdout)
        response = client(app, key).post("/v1/lists", json={"name": "made by the cli key"})
        assert response.status_code == 201, response.text
        with engine.connect() as conn:
            owner = conn.scalar(
                select(ContactList.account_id).where(
                    ContactList.id == response.json()["data"]["id"]
                )
            )
        assert owner == account_id

    def test_a_read_only_key_reads_but_may_not_write(self, cli: Run, app: FastAPI) -> None:
        key = create_key(cli, create_account(cli), "--read-only")

        assert client(app, key).get("/v1/lists").status_code == 200
        assert client(app, key).post("/v1/lists", json={"name": "x"}).status_code == 403

    def test_each_key_is_new(self, cli: Run) -> None:
        account_id = create_account(cli)

        assert create_key(cli, account_id) != create_key(cli, account_id)

    def test_create_for_an_unknown_account_fails(self, cli: Run) -> None:
        missing = unique_name()

        assert_fails(cli("keys", "create", missing), missing)

    def test_list_shows_every_key_but_never_a_key_itself(self, cli: Run, engine: Engine) -> None:
        account_id = create_account(cli)
        keys = [create_key(cli, account_id), create_key(cli, account_id, "--read-only")]

        result = cli("keys", "list", account_id)

        assert result.exit_code == 0, result.output
        ids = key_ids(engine, account_id)
        assert len(ids) == 2
        for key_id in ids:
            assert key_id in result.stdout
        for key in keys:
            assert key not in result.output
            assert key[3:] not in result.output
            assert key[-20:] not in result.output

    def test_list_for_an_unknown_account_fails(self, cli: Run) -> None:
        missing = unique_name()

        assert_fails(cli("keys", "list", missing), missing)

    def test_revoke_makes_the_key_fail_on_the_next_request(
        self, cli: Run, app: FastAPI, engine: Engine
    ) -> None:
        account_id = create_account(cli)
        old = create_key(cli, account_id)
        [old_id] = key_ids(engine, account_id)
        kept = create_key(cli, account_id)
        assert client(app, old).get("/v1/tags").status_code == 200

        result = cli("keys", "revoke", old_id)

        assert result.exit_code == 0, result.output
        assert old not in result.output
        assert client(app, old).get("/v1/tags").status_code == 401
        assert client(app, kept).get("/v1/tags").status_code == 200

    def test_revoking_an_unknown_key_fails(self, cli: Run) -> None:
        assert_fails(cli("keys", "revoke", "key_nope"), "key_nope")

    def test_revoking_twice_fails_the_second_time(self, cli: Run, engine: Engine) -> None:
        account_id = create_account(cli)
        create_key(cli, account_id)
        [key_id] = key_ids(engine, account_id)
        assert cli("keys", "revoke", key_id).exit_code == 0

        assert_fails(cli("keys", "revoke", key_id), key_id)

    @pytest.mark.parametrize("by", ["id", "name"])
    def test_rotate_prints_a_new_key_alone_and_the_old_ones_fail(
        self, cli: Run, app: FastAPI, by: str
    ) -> None:
        name = unique_name()
        account_id = create_account(cli, name)
        old = [create_key(cli, account_id), create_key(cli, account_id)]
        list_id = client(app, old[0]).post("/v1/lists", json={"name": "kept"}).json()["data"]["id"]

        result = cli("keys", "rotate", account_id if by == "id" else name)

        assert result.exit_code == 0, result.output
        new = result.stdout.rstrip("\n")
        assert KEY.fullmatch(new), repr(result.stdout)
        assert new not in old
        for key in old:
            assert client(app, key).get("/v1/tags").status_code == 401
        lists = client(app, new).get("/v1/lists")
        assert lists.status_code == 200
        assert [item["id"] for item in lists.json()["data"]] == [list_id]

    def test_rotate_for_an_unknown_account_fails(self, cli: Run) -> None:
        missing = unique_name()

        assert_fails(cli("keys", "rotate", missing), missing)


def default_country(engine: Engine, account_id: str) -> str | None:
    with engine.connect() as conn:
        country: str | None = conn.scalar(
            select(Account.default_country).where(Account.id == account_id)
        )
        return country


class TestDefaultCountry:
    def test_create_with_a_default_country_stores_it(self, cli: Run, engine: Engine) -> None:
        result = cli("accounts", "create", unique_name(), "--default-country", "nl")

        assert result.exit_code == 0, result.output
        assert default_country(engine, result.stdout.strip()) == "NL"

    def test_set_changes_it_and_no_default_country_clears_it(
        self, cli: Run, engine: Engine
    ) -> None:
        name = unique_name()
        account_id = create_account(cli, name)

        result = cli("accounts", "set", name, "--default-country", "DE")
        assert result.exit_code == 0, result.output
        assert default_country(engine, account_id) == "DE"
        assert "DE" in cli("accounts", "list").stdout

        result = cli("accounts", "set", account_id, "--no-default-country")
        assert result.exit_code == 0, result.output
        assert default_country(engine, account_id) is None

    def test_an_unknown_country_fails_and_says_so(self, cli: Run, engine: Engine) -> None:
        account_id = create_account(cli)

        assert_fails(cli("accounts", "create", unique_name(), "--default-country", "XX"), "XX")
        assert_fails(cli("accounts", "set", account_id, "--default-country", "XX"), "XX")
        assert default_country(engine, account_id) is None

    def test_set_needs_exactly_one_of_the_two(self, cli: Run) -> None:
        account_id = create_account(cli)

        assert_fails(cli("accounts", "set", account_id), "--default-country")
        assert_fails(
            cli("accounts", "set", account_id, "--default-country", "NL", "--no-default-country"),
            "--no-default-country",
        )

    def test_set_for_an_unknown_account_fails(self, cli: Run) -> None:
        assert_fails(cli("accounts", "set", "nobody-" + unique_name(), "--default-country", "NL"))


def test_demo_prints_the_example_command_on_one_line_in_a_narrow_pipe(database_url: str) -> None:
    # As `make run` does, with its output not a terminal and a terminal far narrower than the line.
    result = subprocess.run(
        [sys.executable, "-m", "contacthub", "demo"],
        env={
            **os.environ,
            "CONTACTHUB_DATABASE_URL": database_url,
            "CONTACTHUB_HOST": "127.0.0.1",
            "CONTACTHUB_PORT": "8000",
            "COLUMNS": "30",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    key = result.stdout.strip()
    assert KEY.fullmatch(key)
    tries = [line for line in result.stderr.splitlines() if line.startswith("Try:")]
    assert tries == [f'Try:  curl -H "X-API-Key: {key}" "http://127.0.0.1:8000/v1/tags"'], (
        result.stderr
    )
    assert "Docs: http://127.0.0.1:8000/docs" in result.stderr.splitlines()
