"""GET /v1/contacts/search: filters and keyset cursors."""

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from contacthub.core.clock import to_wire
from tests.factories import Account, create_contact, create_list, insert_contacts, walk


def search(api: TestClient, **params: Any) -> list[str]:
    """Ids of every match, walking all pages."""
    return [
        contact["id"] for page in walk(api, "/v1/contacts/search", **params) for contact in page
    ]


class TestFilters:
    def test_q_matches_name_phone_and_email_prefixes(self, api: TestClient) -> None:
        ann = create_contact(
            api, firstName="Annabel", lastName="Smith", email="a.smith@example.com"
        )
        bob = create_contact(api, phoneNumber="+44 20 7946 0958", firstName="Bob")

        assert search(api, q="anna") == [ann]
        assert search(api, q="Annabel Sm") == [ann]
        assert search(api, q="smi") == [ann]
        assert search(api, q="A.SMITH@") == [ann]
        assert search(api, q="+4420") == [bob]
        assert search(api, q="4420 7946") == [bob]
        assert search(api, q="zzz") == []

    def test_q_wildcards_are_literal(self, api: TestClient) -> None:
        create_contact(api, firstName="Percy")

        assert search(api, q="%") == []
        assert search(api, q="_ercy") == []

    def test_list_tag_channel_and_flags(self, api: TestClient) -> None:
        list_id = create_list(api)
        on_list = create_contact(api, listId=list_id, channel="whatsapp")
        tagged = create_contact(api, tags=["VIP"], is_bot_active=False)
        quiet = create_contact(api, do_not_disturb=True, isChatWindowOpen=True)

        assert search(api, listId=list_id) == [on_list]
        assert search(api, tag="vip") == [tagged]
        assert search(api, channel="whatsapp") == [on_list]
        assert search(api, is_bot_active="false") == [tagged]
        assert search(api, do_not_disturb="true") == [quiet]
        assert search(api, isChatWindowOpen="true") == [quiet]
        assert search(api, isChatWindowOpen="false") == [on_list, tagged]
        assert search(api, listId=list_id, channel="sms") == []

    def test_updated_since_returns_what_changed(self, api: TestClient) -> None:
        before = create_contact(api)
        changed = create_contact(api)
        since = to_wire(datetime.now(UTC) + timedelta(milliseconds=5))
        assert since is not None
        time.sleep(0.02)
        api.put(f"/v1/contacts/{changed}", json={"firstName": "New"})

        assert search(api, updatedSince=since) == [changed]
        assert before in search(api)

    def test_bad_parameters_are_400(self, api: TestClient) -> None:
        for params in (
            {"updatedSince": "yesterday"},
            {"limit": 0},
            {"cursor": "nope"},
            {"is_bot_active": "maybe"},
        ):
            response = api.get("/v1/contacts/search", params=params)
            assert response.status_code == 400, params
            assert response.json()["success"] is False

    def test_only_the_accounts_own_contacts(self, api: TestClient, other_api: TestClient) -> None:
        create_contact(other_api, firstName="Hidden")

        assert search(api, q="hidden") == []


class TestPagination:
    def test_a_walk_sees_each_contact_once_while_others_are_created(
        self, api: TestClient, engine: Engine, account: Account
    ) -> None:
        existing = insert_contacts(engine, account.id, 10_000)
        seen: list[str] = []
        cursor = None
        pages = 0
        while True:
            params: dict[str, Any] = {"limit": 137, **({"cursor": cursor} if cursor else {})}
            body = api.get("/v1/contacts/search", params=params).json()
            seen += [contact["id"] for contact in body["data"]]
            pages += 1
            if pages % 10 == 0:  # meanwhile, new contacts keep arriving
                insert_contacts(engine, account.id, 5)
            cursor = body["nextCursor"]
            if cursor is None:
                break

        assert len(seen) == len(set(seen))
        assert [cid for cid in seen if cid in set(existing)] == existing
        assert pages >= 10_000 // 137
