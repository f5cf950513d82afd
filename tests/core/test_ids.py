"""Ids carry fresh randomness, even in one millisecond, and still sort by creation (review L7).

Ids minted in the same millisecond used to be the previous one plus one: the next id of any tenant
was guessable. Each now adds a fresh random step of 1 to 2**40, so ids stay strictly increasing in
a process (creation order is id order, which pages and message ties rely on) and unguessable.
"""

import itertools
import time
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from contacthub.core import ids
from tests.factories import create_contact, create_list

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
A_MILLISECOND = 1_600_000_000_000  # in 2020


def parts(value: str) -> tuple[int, int]:
    """(milliseconds, random part) of an id."""
    body = value.split("_", 1)[1]
    numbers = [0, 0]
    for index, chars in enumerate((body[:10], body[10:])):
        for char in chars:
            numbers[index] = numbers[index] * 32 + ALPHABET.index(char)
    return numbers[0], numbers[1]


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ids' clock, stopped at one millisecond until the test moves it (both put back after)."""
    now = [A_MILLISECOND * 1_000_000]
    monkeypatch.setattr(ids, "time", SimpleNamespace(time_ns=lambda: now[0]))
    monkeypatch.setattr(ids, "_last", (0, 0))
    return now


def test_ids_made_through_the_api_in_one_millisecond_are_not_sequential(
    api: TestClient, frozen_clock: list[int]
) -> None:
    made = [create_contact(api), create_list(api), create_contact(api), create_contact(api)]

    millis, randoms = zip(*(parts(value) for value in made), strict=True)
    assert set(millis) == {A_MILLISECOND}
    steps = [later - earlier for earlier, later in itertools.pairwise(randoms)]
    assert all(step >= 1 for step in steps)  # still in creation order
    assert all(step != 1 for step in steps), steps
    listed = api.get("/v1/contacts/search").json()["data"]
    assert [contact["id"] for contact in listed] == [made[0], made[2], made[3]]


def test_steps_within_a_millisecond_are_fresh_and_bounded(frozen_clock: list[int]) -> None:
    made = [parts(ids.new_id("contact")) for _ in range(2_000)]

    assert {millis for millis, _ in made} == {A_MILLISECOND}
    steps = [later[1] - earlier[1] for earlier, later in itertools.pairwise(made)]
    assert all(1 <= step <= 2**40 for step in steps)
    assert len(set(steps)) > 1_990  # 40 random bits each: repeats are vanishingly rare
    assert sum(step > 2**39 for step in steps) > 800  # the high bits are used, too


def test_a_new_millisecond_starts_from_fresh_randomness(frozen_clock: list[int]) -> None:
    first = ids.new_id("contact")
    frozen_clock[0] += 1_000_000
    second = ids.new_id("contact")

    assert parts(second)[0] == A_MILLISECOND + 1
    assert second > first
    assert parts(second)[1] != parts(first)[1] + 1


def test_ids_keep_increasing_when_the_clock_steps_back(frozen_clock: list[int]) -> None:
    first = ids.new_id("list")
    frozen_clock[0] -= 5_000_000
    second = ids.new_id("list")

    assert second > first


def test_ids_keep_increasing_when_a_millisecond_runs_out_of_room(
    frozen_clock: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ids, "_last", (A_MILLISECOND, 2**80 - 2))
    made = [ids.new_id("tag") for _ in range(3)]

    assert made == sorted(made) and len(set(made)) == 3
    assert all(len(value) == len("tg_") + 26 for value in made)


def test_ids_from_the_real_clock_are_strictly_increasing() -> None:
    made = [ids.new_id("message") for _ in range(10_000)]

    assert made == sorted(made) and len(set(made)) == len(made)
    assert abs(parts(made[-1])[0] - time.time_ns() // 1_000_000) < 60_000  # the clock's time
