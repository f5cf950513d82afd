"""The time of one 10,000-id bulk list add, over HTTP, on the seeded database."""

import statistics
import time
import uuid
from dataclasses import dataclass

import httpx2 as httpx

IDS_PER_CALL = 10_000
REPEATS = 3


@dataclass(frozen=True)
class BulkTimes:
    """Seconds per call: into an empty list, and a mix of members, new ids and unknown ids."""

    empty: list[float]
    mixed: list[float]

    def describe(self) -> str:
        """One line for the report."""
        return (
            f"{IDS_PER_CALL:,} ids in one `POST /v1/lists/{{listId}}/contacts`: into an empty list"
            f" median {statistics.median(self.empty) * 1000:,.0f} ms (max"
            f" {max(self.empty) * 1000:,.0f} ms); 5,000 already members, 4,990 new and 10"
            f" unknown: median {statistics.median(self.mixed) * 1000:,.0f} ms (max"
            f" {max(self.mixed) * 1000:,.0f} ms); {REPEATS} calls each"
        )


def measure(base_url: str, key: str, ids: list[str]) -> BulkTimes:
    """Time ``REPEATS`` bulk adds of each kind, each on a new list."""
    assert len(ids) >= 2 * IDS_PER_CALL, "the seed must give 20,000 contact ids"
    empty: list[float] = []
    mixed: list[float] = []
    with httpx.Client(base_url=base_url, headers={"X-API-Key": key}, timeout=120) as client:
        for _ in range(REPEATS):
            list_id = _new_list(client)
            empty.append(_add(client, list_id, ids[:IDS_PER_CALL], expect_added=IDS_PER_CALL))
            unknown = [f"ct_unknown{n}" for n in range(10)]
            half = IDS_PER_CALL // 2  # 5,000 on the list already, 4,990 new, 10 unknown
            batch = ids[half:IDS_PER_CALL] + ids[IDS_PER_CALL : IDS_PER_CALL + half - 10]
            mixed.append(
                _add(client, list_id, batch + unknown, expect_added=IDS_PER_CALL // 2 - 10)
            )
    return BulkTimes(empty, mixed)


def _new_list(client: httpx.Client) -> str:
    response = client.post("/v1/lists", json={"name": f"bench-{uuid.uuid4().hex[:8]}"})
    response.raise_for_status()
    list_id: str = response.json()["data"]["id"]
    return list_id


def _add(client: httpx.Client, list_id: str, ids: list[str], *, expect_added: int) -> float:
    started = time.perf_counter()
    response = client.post(f"/v1/lists/{list_id}/contacts", json={"contactIds": ids})
    seconds = time.perf_counter() - started
    response.raise_for_status()
    added = response.json()["data"]["added"]
    assert added == expect_added, f"expected {expect_added} added, the API said {added}"
    return seconds
