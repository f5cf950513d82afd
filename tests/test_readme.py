"""The README's examples: one for every route, and each works as written against a real server."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from contacthub.config import Settings
from tests.factories import Account
from tests.server import Server

README = Path(__file__).parent.parent / "README.md"


def examples() -> str:
    """The shell blocks of the README's "Using the API" section, as one script."""
    section = README.read_text().split("## Using the API", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    lines = "\n".join(blocks).splitlines()
    # The reader sets KEY and API by hand; the test sets them itself.
    return "\n".join(line for line in lines if not line.startswith(("export KEY=", "export API=")))


def curl_calls(script: str) -> list[tuple[str, str]]:
    """(method, path) of every curl in the script, continuation lines joined."""
    joined = script.replace("\\\n", " ")
    calls = []
    for line in joined.splitlines():
        for command in re.findall(r"curl [^|)]*", line):
            url = re.search(r'"\$API(/[^"?]*)', command)
            if url:
                method = re.search(r"-X (\w+)", command)
                calls.append((method.group(1) if method else "GET", url.group(1)))
    return calls


def test_every_route_has_an_example(api: TestClient) -> None:
    calls = curl_calls(examples())
    operations = api.get("/openapi.json").json()["paths"]
    for path, methods in operations.items():
        pattern = re.compile("^" + re.sub(r"\{[^}]+\}", r"[^/]+", path) + "$")
        for method in methods:
            assert any(m == method.upper() and pattern.match(p) for m, p in calls), (
                f"README has no example of {method.upper()} {path}"
            )


@pytest.mark.slow
def test_every_example_works_as_written(
    database_url: str, account: Account, tmp_path: Path
) -> None:
    log = tmp_path / "answers.log"
    # Record every answer, one per line (the server answers compact JSON), without changing it.
    prelude = f'curl() {{ local out; out=$(command curl "$@"); printf "%s\\n" "$out" >> {log}; printf "%s" "$out"; }}\n'
    server = Server(database_url).start()
    try:
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", prelude + examples()],
            env={**os.environ, "KEY": account.key, "API": server.url},
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert len(answers) >= len(curl_calls(examples()))
    for answer in answers:
        assert isinstance(answer, list) or answer.get("success", True) is True, answer


# Variables the README documents that are read by the tests, not by ContactHub.
TEST_ONLY_VARIABLES = {"CONTACTHUB_TEST_POSTGRES_URL"}


def configuration() -> dict[str, str]:
    """The README's table of CONTACTHUB_* variables: each name with its documented default."""
    section = README.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"^\| `(CONTACTHUB_\w+)` \| (.*?) \|", section, flags=re.M))


def documented_default(value: object) -> str:
    """A default as the README writes it."""
    if value is None or value == []:
        return "—"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value}`"


def test_every_setting_is_documented_with_its_default() -> None:
    table = configuration()
    for name, field in Settings.model_fields.items():
        variable = f"CONTACTHUB_{name.upper()}"
        assert variable in table, f"README's Configuration does not list {variable}"
        assert table[variable] == documented_default(field.default), variable


def test_every_documented_variable_is_a_setting() -> None:
    settings = {f"CONTACTHUB_{name.upper()}" for name in Settings.model_fields}
    mentioned = set(re.findall(r"CONTACTHUB_[A-Z0-9_]+", README.read_text()))
    assert mentioned - settings <= TEST_ONLY_VARIABLES, "README documents what Settings lacks"
    assert set(configuration()) >= TEST_ONLY_VARIABLES, "a test-only variable is undocumented"
