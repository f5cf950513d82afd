"""/v1/lists: lists, their contacts page by page, and bulk membership (API.md §5)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from tests.factories import (
    UNKNOWN_CONTACT,
    Account,
    assert_invalid,
    create_contact,
    create_list,
    get_contact,
    insert_contacts,
    walk,
)

LIST_KEYS = {"id", "name", "description", "contactCount", "createdAt", "updatedAt"}
LIST_NOT_FOUND = {"success": False, "error": "not_found", "message": "List not found"}


# A bulk call of 10,000 ids must be a handful of set operations. Statements beyond this budget
# make the call fail at once, instead of letting a per-id loop run for minutes (10,000 queries of
# 10,000 ids each took about 8 minutes on SQLite): a client would have given up long before.
BULK_STATEMENT_BUDGET = 30


@contextmanager
def statement_budget(engine: Engine, budget: int) -> Iterator[None]:
    """Fail the block if it runs more than ``budget`` statements on ``engine`` (and stop them)."""
    count = 0

    def counted(*_: Any) -> None:
        nonlocal count
        count += 1
        if count > budget:
            raise RuntimeError(f"more than {budget} SQL statements for one bulk call")

    event.listen(engine, "before_cursor_execute", counted)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    if count > budget:
        pytest.fail(
            f"one bulk call of 10,000 ids ran more than {budget} SQL statements "
            "(a query per id?); it was stopped there"
        )


def get_list(api: TestClient, list_id: str) -> dict[str, Any]:
    response = api.get(f"/v1/lists/{list_id}")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def add(api: TestClient, list_id: str, contact_ids: list[str]) -> Any:
    return api.post(f"/v1/lists/{list_id}/contacts", json={"contactIds": contact_ids})


def remove(api: TestClient, list_id: str, contact_ids: list[str]) -> Any:
    return api.request("DELETE", f"/v1/lists/{list_id}/contacts", json={"contactIds": contact_ids})


class TestCreateList:
    def test_answers_201_with_the_new_list(self, api: TestClient) -> None:
        response = api.post("/v1/lists", json={"name": "Customers", "description": "paying"})

        assert response.status_code == 201
        body = response.json()
        assert set(body) == {"success", "data"}
        assert body["success"] is True
        data = body["data"]
        assert set(data) == LIST_KEYS
        assert data["id"].startswith("ls_")
        assert data["name"] == "Customers"
        assert data["description"] == "paying"
        assert data["contactCount"] == 0
        assert data["createdAt"].endswith("Z") and data["updatedAt"].endswith("Z")
        assert get_list(api, data["id"]) == data

    def test_the_description_is_optional(self, api: TestClient) -> None:
        response = api.post("/v1/lists", json={"name": "Leads"})

        assert response.status_code == 201
        assert response.json()["data"]["description"] is None

    def test_a_name_taken_in_any_case_is_409_and_the_first_spelling_stays(
        self, api: TestClient
    ) -> None:
        list_id = create_list(api, "Customers")

        for spelling in ("Customers", "customers", "CUSTOMERS"):
            response = api.post("/v1/lists", json={"name": spelling})
            assert response.status_code == 409, spelling
            body = response.json()
            assert body["success"] is False
            assert body["error"] == "conflict"
            assert isinstance(body["message"], str) and body["message"]
        lists = api.get("/v1/lists").json()["data"]
        assert [(item["id"], item["name"]) for item in lists] == [(list_id, "Customers")]

    def test_the_same_name_in_another_account_is_another_list(
        self, api: TestClient, other_api: TestClient
    ) -> None:
        create_list(api, "Customers")

        response = other_api.post("/v1/lists", json={"name": "customers"})

        assert response.status_code == 201
        assert response.json()["data"]["name"] == "customers"
        assert [item["name"] for item in api.get("/v1/lists").json()["data"]] == ["Customers"]

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({}, "name"),
            ({"name": ""}, "name"),
            ({"name": None}, "name"),
            ({"name": 5}, "name"),
            ({"name": "x" * 256}, "name"),
            ({"name": "ok", "descripton": "typo"}, "descripton"),
        ],
    )
    def test_an_invalid_body_is_400_naming_the_field_and_creates_nothing(
        self, api: TestClient, body: dict[str, Any], field: str
    ) -> None:
        assert_invalid(api.post("/v1/lists", json=body), field)
        assert api.get("/v1/lists").json()["data"] == []


class TestListLists:
    def test_an_account_without_lists_gets_an_empty_page(self, api: TestClient) -> None:
        response = api.get("/v1/lists")

        assert response.status_code == 200
        assert response.json() == {"success": True, "data": [], "nextCursor": None}

    def test_pages_walk_every_list_once_in_creation_order(
        self, api: TestClient, other_api: TestClient
    ) -> None:
        made = [create_list(api, f"list {n}") for n in range(7)]
        create_list(other_api, "theirs")

        pages = walk(api, "/v1/lists", limit=3)

        assert [len(page) for page in pages] == [3, 3, 1]
        assert [item["id"] for page in pages for item in page] == made
        for item in (item for page in pages for item in page):
            assert set(item) == LIST_KEYS

    def test_a_last_page_that_is_exactly_full_has_no_next_cursor(self, api: TestClient) -> None:
        made = [create_list(api) for _ in range(4)]

        pages = walk(api, "/v1/lists", limit=2)

        assert [[item["id"] for item in page] for page in pages] == [made[:2], made[2:]]

    def test_the_default_page_is_50_lists(self, api: TestClient) -> None:
        made = [create_list(api) for _ in range(51)]

        first = api.get("/v1/lists").json()
        second = api.get("/v1/lists", params={"cursor": first["nextCursor"]}).json()

        assert len(first["data"]) == 50 and first["nextCursor"] is not None
        assert [item["id"] for item in first["data"] + second["data"]] == made
        assert second["nextCursor"] is None

    def test_shows_each_lists_contact_count(self, api: TestClient) -> None:
        full, empty = create_list(api), create_list(api)
        add(api, full, [create_contact(api), create_contact(api)])

        counts = {item["id"]: item["contactCount"] for item in api.get("/v1/lists").json()["data"]}

        assert counts == {full: 2, empty: 0}

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"limit": 0}, "limit"),
            ({"limit": 501}, "limit"),
            ({"limit": "ten"}, "limit"),
            ({"cursor": "not-a-cursor"}, "cursor"),
        ],
    )
    def test_a_bad_limit_or_cursor_is_400(
        self, api: TestClient, params: dict[str, Any], field: str
    ) -> None:
        assert_invalid(api.get("/v1/lists", params=params), field)

    def test_the_largest_limit_is_accepted(self, api: TestClient) -> None:
        create_list(api)

        response = api.get("/v1/lists", params={"limit": 500})

        assert response.status_code == 200
        assert len(response.json()["data"]) == 1


class TestGetList:
    def test_counts_the_lists_contacts(self, api: TestClient) -> None:
        list_id = create_list(api, "Customers")
        add(api, list_id, [create_contact(api) for _ in range(3)])

        response = api.get(f"/v1/lists/{list_id}")

        assert response.status_code == 200
        body = response.json()
        assert body["success"] is True
        assert body["data"]["id"] == list_id
        assert body["data"]["name"] == "Customers"
        assert body["data"]["contactCount"] == 3

    @pytest.mark.parametrize("list_id", ["ls_01JD0000000000000000000000", "nope", "ct_x"])
    def test_an_unknown_or_malformed_id_is_404(self, api: TestClient, list_id: str) -> None:
        response = api.get(f"/v1/lists/{list_id}")

        assert response.status_code == 404
        assert response.json() == LIST_NOT_FOUND


# Every /v1/lists/{listId} route, with a body that would be valid on one's own list.
LIST_ROUTES = [
    ("GET", "", None),
    ("PATCH", "", {"name": "stolen"}),
    ("DELETE", "", None),
    ("GET", "/contacts", None),
    ("POST", "/contacts", "contacts"),
    ("DELETE", "/contacts", "contacts"),
]


class TestAnotherAccountsList:
    @pytest.mark.parametrize(("method", "suffix", "body"), LIST_ROUTES)
    def test_is_answered_exactly_like_a_nonexistent_list_and_left_alone(
        self,
        api: TestClient,
        other_api: TestClient,
        method: str,
        suffix: str,
        body: Any,
    ) -> None:
        theirs = create_list(other_api, "Theirs", description="keep")
        their_contact = create_contact(other_api)
        add(other_api, theirs, [their_contact])
        mine = create_contact(api)
        if body == "contacts":
            body = {"contactIds": [mine, their_contact]}
        kwargs = {} if body is None else {"json": body}

        answers = [
            api.request(method, f"/v1/lists/{list_id}{suffix}", **kwargs)
            for list_id in (theirs, "ls_01JD0000000000000000000000", "nope")
        ]

        for response in answers:
            assert response.status_code == 404, response.text
            assert response.json() == LIST_NOT_FOUND
        after = get_list(other_api, theirs)
        assert (after["name"], after["description"], after["contactCount"]) == ("Theirs", "keep", 1)
        assert get_contact(api, mine)["listIds"] == []
        assert get_contact(other_api, their_contact)["listIds"] == [theirs]


class TestUpdateList:
    def test_changes_the_fields_sent_and_keeps_the_others(self, api: TestClient) -> None:
        list_id = create_list(api, "Customers", description="paying")
        before = get_list(api, list_id)

        response = api.patch(f"/v1/lists/{list_id}", json={"name": "Clients"})

        assert response.status_code == 200
        body = response.json()
        assert body["success"] is True
        assert set(body["data"]) == LIST_KEYS
        assert body["data"]["name"] == "Clients"
        assert body["data"]["description"] == "paying"
        assert body["data"]["createdAt"] == before["createdAt"]
        assert body["data"]["updatedAt"] >= before["updatedAt"]
        assert get_list(api, list_id) == body["data"]

        response = api.patch(f"/v1/lists/{list_id}", json={"description": "all of them"})

        assert response.status_code == 200
        assert (get_list(api, list_id)["name"], get_list(api, list_id)["description"]) == (
            "Clients",
            "all of them",
        )

    def test_null_clears_the_description(self, api: TestClient) -> None:
        list_id = create_list(api, description="old")

        response = api.patch(f"/v1/lists/{list_id}", json={"description": None})

        assert response.status_code == 200
        assert get_list(api, list_id)["description"] is None

    def test_keeps_its_contacts(self, api: TestClient) -> None:
        list_id = create_list(api)
        contact_id = create_contact(api)
        add(api, list_id, [contact_id])

        api.patch(f"/v1/lists/{list_id}", json={"name": "Renamed"})

        assert get_list(api, list_id)["contactCount"] == 1
        assert get_contact(api, contact_id)["listIds"] == [list_id]

    def test_a_name_another_list_has_in_any_case_is_409_and_changes_nothing(
        self, api: TestClient
    ) -> None:
        create_list(api, "Customers")
        list_id = create_list(api, "Leads", description="warm")

        response = api.patch(
            f"/v1/lists/{list_id}", json={"name": "CUSTOMERS", "description": "changed"}
        )

        assert response.status_code == 409
        assert response.json()["success"] is False
        after = get_list(api, list_id)
        assert (after["name"], after["description"]) == ("Leads", "warm")

    def test_a_list_may_be_renamed_to_another_case_of_its_own_name(self, api: TestClient) -> None:
        list_id = create_list(api, "customers")

        response = api.patch(f"/v1/lists/{list_id}", json={"name": "Customers"})

        assert response.status_code == 200
        assert get_list(api, list_id)["name"] == "Customers"

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"name": None}, "name"),
            ({"name": ""}, "name"),
            ({"name": "x" * 256}, "name"),
            ({"nmae": "typo"}, "nmae"),
        ],
    )
    def test_an_invalid_body_is_400_and_changes_nothing(
        self, api: TestClient, body: dict[str, Any], field: str
    ) -> None:
        list_id = create_list(api, "Customers")

        assert_invalid(api.patch(f"/v1/lists/{list_id}", json=body), field)
        assert get_list(api, list_id)["name"] == "Customers"


class TestDeleteList:
    def test_deletes_the_list_and_keeps_its_contacts(self, api: TestClient) -> None:
        list_id, other_list = create_list(api, "Customers"), create_list(api)
        contact_ids = [create_contact(api) for _ in range(2)]
        add(api, list_id, contact_ids)
        add(api, other_list, contact_ids[:1])

        response = api.delete(f"/v1/lists/{list_id}")

        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"success", "message"}
        assert body["success"] is True
        assert isinstance(body["message"], str) and body["message"]
        assert api.get(f"/v1/lists/{list_id}").status_code == 404
        assert [item["id"] for item in api.get("/v1/lists").json()["data"]] == [other_list]
        assert get_contact(api, contact_ids[0])["listIds"] == [other_list]
        assert get_contact(api, contact_ids[1])["listIds"] == []

    def test_deleting_again_is_404(self, api: TestClient) -> None:
        list_id = create_list(api)
        api.delete(f"/v1/lists/{list_id}")

        response = api.delete(f"/v1/lists/{list_id}")

        assert response.status_code == 404
        assert response.json() == LIST_NOT_FOUND

    def test_frees_the_name(self, api: TestClient) -> None:
        list_id = create_list(api, "Customers")
        api.delete(f"/v1/lists/{list_id}")

        response = api.post("/v1/lists", json={"name": "customers"})

        assert response.status_code == 201
        assert response.json()["data"]["name"] == "customers"


class TestListContacts:
    def test_pages_walk_every_member_once(self, api: TestClient) -> None:
        list_id = create_list(api)
        members = [create_contact(api) for _ in range(5)]
        create_contact(api)  # not a member
        add(api, list_id, members)

        pages = walk(api, f"/v1/lists/{list_id}/contacts", limit=2)

        assert [len(page) for page in pages] == [2, 2, 1]
        contacts = [contact for page in pages for contact in page]
        assert sorted(contact["id"] for contact in contacts) == sorted(members)
        for contact in contacts:
            assert contact == get_contact(api, contact["id"])
            assert contact["listIds"] == [list_id]

    def test_an_empty_list_has_an_empty_page(self, api: TestClient) -> None:
        list_id = create_list(api)

        response = api.get(f"/v1/lists/{list_id}/contacts")

        assert response.status_code == 200
        assert response.json() == {"success": True, "data": [], "nextCursor": None}

    def test_a_removed_contact_is_no_longer_listed(self, api: TestClient) -> None:
        list_id = create_list(api)
        keep, drop = create_contact(api), create_contact(api)
        add(api, list_id, [keep, drop])
        remove(api, list_id, [drop])

        data = api.get(f"/v1/lists/{list_id}/contacts").json()["data"]

        assert [contact["id"] for contact in data] == [keep]

    @pytest.mark.parametrize(
        ("params", "field"),
        [({"limit": 0}, "limit"), ({"limit": 501}, "limit"), ({"cursor": "@@"}, "cursor")],
    )
    def test_a_bad_limit_or_cursor_is_400(
        self, api: TestClient, params: dict[str, Any], field: str
    ) -> None:
        list_id = create_list(api)

        assert_invalid(api.get(f"/v1/lists/{list_id}/contacts", params=params), field)


class TestAddContacts:
    def test_answers_per_id_for_members_newcomers_unknown_and_foreign_ids(
        self, api: TestClient, other_api: TestClient
    ) -> None:
        list_id = create_list(api)
        members = [create_contact(api) for _ in range(2)]
        newcomers = [create_contact(api) for _ in range(2)]
        add(api, list_id, members)
        theirs = create_contact(other_api)

        response = add(
            api,
            list_id,
            [members[0], newcomers[0], UNKNOWN_CONTACT, members[1], theirs, newcomers[1]],
        )

        assert response.status_code == 200
        assert response.json() == {
            "success": True,
            "data": {"added": 2, "alreadyMembers": 2, "notFound": [UNKNOWN_CONTACT, theirs]},
        }
        assert get_list(api, list_id)["contactCount"] == 4
        for contact_id in members + newcomers:
            assert get_contact(api, contact_id)["listIds"] == [list_id]
        assert get_contact(other_api, theirs)["listIds"] == []

    def test_an_id_sent_twice_is_added_once(self, api: TestClient) -> None:
        list_id = create_list(api)
        contact_id = create_contact(api)

        response = add(api, list_id, [contact_id, contact_id])

        assert response.status_code == 200
        assert response.json()["data"]["added"] == 1
        assert get_list(api, list_id)["contactCount"] == 1

    def test_10000_ids_in_one_call(self, api: TestClient, engine: Engine, account: Account) -> None:
        list_id = create_list(api)
        contact_ids = insert_contacts(engine, account.id, 9_999)
        add(api, list_id, contact_ids[:1])
        ids = [*contact_ids, UNKNOWN_CONTACT]
        assert len(ids) == 10_000

        with statement_budget(engine, BULK_STATEMENT_BUDGET):
            response = add(api, list_id, ids)

        assert response.status_code == 200, response.text
        assert response.json()["data"] == {
            "added": 9_998,
            "alreadyMembers": 1,
            "notFound": [UNKNOWN_CONTACT],
        }
        assert get_list(api, list_id)["contactCount"] == 9_999
        assert get_contact(api, contact_ids[-1])["listIds"] == [list_id]

    def test_more_than_10000_ids_is_400_and_adds_nothing(self, api: TestClient) -> None:
        list_id = create_list(api)
        contact_id = create_contact(api)

        response = add(api, list_id, [contact_id] + [f"ct_{n:026d}" for n in range(10_000)])

        assert_invalid(response, "contactIds")
        assert get_list(api, list_id)["contactCount"] == 0

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({}, "contactIds"),
            ({"contactIds": "ct_1"}, "contactIds"),
            ({"contactIds": [1]}, "contactIds.0"),
            ({"contactIds": ["ct_1"], "listId": "x"}, "listId"),
        ],
    )
    def test_an_invalid_body_is_400(
        self, api: TestClient, body: dict[str, Any], field: str
    ) -> None:
        list_id = create_list(api)

        assert_invalid(api.post(f"/v1/lists/{list_id}/contacts", json=body), field)


class TestRemoveContacts:
    def test_answers_per_id_for_members_non_members_unknown_and_foreign_ids(
        self, api: TestClient, other_api: TestClient
    ) -> None:
        list_id = create_list(api)
        members = [create_contact(api) for _ in range(3)]
        outsider = create_contact(api)
        add(api, list_id, members)
        theirs = create_contact(other_api)
        their_list = create_list(other_api)
        add(other_api, their_list, [theirs])

        response = remove(api, list_id, [members[0], outsider, theirs, members[1], UNKNOWN_CONTACT])

        assert response.status_code == 200
        assert response.json() == {
            "success": True,
            "data": {"removed": 2, "notMembers": 1, "notFound": [theirs, UNKNOWN_CONTACT]},
        }
        assert get_list(api, list_id)["contactCount"] == 1
        assert get_contact(api, members[0])["listIds"] == []
        assert get_contact(api, members[2])["listIds"] == [list_id]
        assert get_contact(other_api, theirs)["listIds"] == [their_list]

    def test_10000_ids_in_one_call(self, api: TestClient, engine: Engine, account: Account) -> None:
        list_id = create_list(api)
        contact_ids = insert_contacts(engine, account.id, 9_998)
        outsider = create_contact(api)
        add(api, list_id, contact_ids)
        ids = [*contact_ids, outsider, UNKNOWN_CONTACT]
        assert len(ids) == 10_000

        with statement_budget(engine, BULK_STATEMENT_BUDGET):
            response = remove(api, list_id, ids)

        assert response.status_code == 200, response.text
        assert response.json()["data"] == {
            "removed": 9_998,
            "notMembers": 1,
            "notFound": [UNKNOWN_CONTACT],
        }
        assert get_list(api, list_id)["contactCount"] == 0
        assert get_contact(api, contact_ids[-1])["listIds"] == []

    def test_more_than_10000_ids_is_400_and_removes_nothing(self, api: TestClient) -> None:
        list_id = create_list(api)
        contact_id = create_contact(api)
        add(api, list_id, [contact_id])

        response = remove(api, list_id, [contact_id] + [f"ct_{n:026d}" for n in range(10_000)])

        assert_invalid(response, "contactIds")
        assert get_list(api, list_id)["contactCount"] == 1

    def test_needs_contact_ids(self, api: TestClient) -> None:
        list_id = create_list(api)

        assert_invalid(
            api.request("DELETE", f"/v1/lists/{list_id}/contacts", json={}), "contactIds"
        )
