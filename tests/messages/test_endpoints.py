"""A contact's messages: POST and GET /v1/contacts/messages/{contactId}."""

import base64
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from contacthub.core.clock import parse_wire, to_wire
from contacthub.models import Message
from tests.factories import (
    CONTACT_NOT_FOUND,
    UNKNOWN_CONTACT,
    Account,
    count_rows,
    create_contact,
    get_contact,
    post_message,
    record_message,
    walk,
)

MESSAGE_KEYS = {
    "id",
    "contactId",
    "direction",
    "sender",
    "type",
    "body",
    "mediaUrl",
    "mediaContentType",
    "channel",
    "status",
    "messageSid",
    "timestamp",
    "metadata",
}


def ago(**delta: float) -> str:
    """A wire time this long before now."""
    return str(to_wire(datetime.now(UTC) - timedelta(**delta)))


def in_order(messages: list[dict[str, Any]]) -> list[str]:
    """Message ids by (timestamp, id), the contract's order."""
    return [m["id"] for m in sorted(messages, key=lambda m: (parse_wire(m["timestamp"]), m["id"]))]


class TestRecord:
    def test_answers_201_with_the_message(self, api: TestClient) -> None:
        contact_id = create_contact(api)
        body = {
            "direction": "outbound",
            "sender": "agent",
            "type": "image",
            "body": "Here is the brochure",
            "mediaUrl": "https://cdn.example.com/brochure.png",
            "mediaContentType": "image/png",
            "channel": "whatsapp",
            "status": "delivered",
            "messageSid": "SM-answers-201",
            "timestamp": "2026-11-26T10:00:00Z",
            "metadata": {"campaign": "spring", "n": 1},
        }

        response = api.post(f"/v1/contacts/messages/{contact_id}", json=body)

        assert response.status_code == 201
        result = response.json()
        assert set(result) == {"success", "data"}
        assert result["success"] is True
        message = result["data"]
        assert set(message) == MESSAGE_KEYS
        assert message["id"].startswith("msg_")
        assert message["contactId"] == contact_id
        assert parse_wire(message["timestamp"]) == datetime(2026, 11, 26, 10, tzinfo=UTC)
        assert message["timestamp"].endswith("Z")
        for field in (
            "direction",
            "sender",
            "type",
            "body",
            "mediaUrl",
            "mediaContentType",
            "channel",
            "status",
            "messageSid",
            "metadata",
        ):
            assert message[field] == body[field], field
        assert walk(api, f"/v1/contacts/messages/{contact_id}") == [[message]]

    def test_fills_in_the_defaults(self, api: TestClient) -> None:
        contact_id = create_contact(api)
        before = datetime.now(UTC) - timedelta(seconds=1)

        message = record_message(api, contact_id, direction="inbound", body="hi")

        after = datetime.now(UTC) + timedelta(seconds=1)
        assert before <= parse_wire(message["timestamp"]) <= after
        assert message["type"] == "text"
        assert message["sender"] == "contact"
        assert message["metadata"] == {}
        assert message["mediaUrl"] is None
        assert message["messageSid"] is None

    def test_a_media_url_alone_is_enough(self, api: TestClient) -> None:
        contact_id = create_contact(api)

        message = record_message(
            api, contact_id, body=None, type="audio", mediaUrl="https://cdn.example.com/a.ogg"
        )

        assert message["body"] is None
        assert message["mediaUrl"] == "https://cdn.example.com/a.ogg"

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"body": "no direction"}, "direction"),
            ({"direction": "sideways", "body": "x"}, "direction"),
            ({"direction": None, "body": "x"}, "direction"),
            ({"direction": "inbound", "body": "x", "sender": "robot"}, "sender"),
            ({"direction": "inbound", "body": "x", "type": "gif"}, "type"),
            ({"direction": "inbound", "body": "x", "timestamp": "yesterday"}, "timestamp"),
            ({"direction": "inbound", "body": "x", "metadata": []}, "metadata"),
            ({"direction": "inbound", "body": "x", "text": "typo"}, "text"),
        ],
    )
    def test_an_invalid_body_is_400_naming_the_field_and_stores_nothing(
        self,
        api: TestClient,
        engine: Engine,
        account: Account,
        body: dict[str, Any],
        field: str,
    ) -> None:
        contact_id = create_contact(api)

        response = api.post(f"/v1/contacts/messages/{contact_id}", json=body)

        assert response.status_code == 400
        result = response.json()
        assert result["success"] is False
        assert field in [detail["field"] for detail in result["details"]]
        assert count_rows(engine, Message, account.id) == 0

    @pytest.mark.parametrize(
        "content",
        [
            {"direction": "inbound"},
            {"direction": "inbound", "body": ""},
            {"direction": "outbound", "body": None, "mediaUrl": None},
            {"direction": "outbound", "body": "", "mediaUrl": ""},
        ],
    )
    def test_a_message_without_body_or_media_url_is_400(
        self, api: TestClient, engine: Engine, account: Account, content: dict[str, Any]
    ) -> None:
        contact_id = create_contact(api)

        response = api.post(f"/v1/contacts/messages/{contact_id}", json=content)

        assert response.status_code == 400
        assert response.json()["success"] is False
        assert response.json()["details"]
        assert count_rows(engine, Message, account.id) == 0

    def test_an_unknown_contact_is_404_and_stores_nothing(
        self, api: TestClient, engine: Engine, account: Account
    ) -> None:
        for contact_id in (UNKNOWN_CONTACT, "nope"):
            response = post_message(api, contact_id)
            assert response.status_code == 404, contact_id
            assert response.json() == CONTACT_NOT_FOUND

        assert count_rows(engine, Message, account.id) == 0


class TestMessageSid:
    def test_the_same_sid_twice_answers_200_with_the_first_message(
        self, api: TestClient, engine: Engine, account: Account
    ) -> None:
        contact_id = create_contact(api)
        first = record_message(api, contact_id, messageSid="SM-twice", body="first")

        response = post_message(api, contact_id, messageSid="SM-twice", body="second")

        assert response.status_code == 200
        assert response.json() == {"success": True, "data": first}
        assert walk(api, f"/v1/contacts/messages/{contact_id}") == [[first]]
        assert count_rows(engine, Message, account.id) == 1

    def test_the_same_sid_on_another_contact_is_still_the_first_message(
        self, api: TestClient, engine: Engine, account: Account
    ) -> None:
        one, two = create_contact(api), create_contact(api)
        first = record_message(api, one, messageSid="SM-elsewhere")

        response = post_message(api, two, messageSid="SM-elsewhere", body="copy")

        assert response.status_code == 200
        assert response.json()["data"] == first
        assert walk(api, f"/v1/contacts/messages/{two}") == [[]]
        assert count_rows(engine, Message, account.id) == 1

    def test_a_duplicate_inbound_does_not_reopen_the_chat_window(self, api: TestClient) -> None:
        contact_id = create_contact(api)
        record_message(api, contact_id, messageSid="SM-window")
        api.patch(f"/v1/contacts/{contact_id}", json={"isChatWindowOpen": False})

        assert post_message(api, contact_id, messageSid="SM-window").status_code == 200

        assert get_contact(api, contact_id)["isChatWindowOpen"] is False

    def test_another_account_may_use_the_same_sid(
        self, api: TestClient, other_api: TestClient
    ) -> None:
        mine, theirs = create_contact(api), create_contact(other_api)
        first = record_message(api, mine, messageSid="SM-shared")

        response = post_message(other_api, theirs, messageSid="SM-shared")

        assert response.status_code == 201
        assert response.json()["data"]["id"] != first["id"]
        assert response.json()["data"]["contactId"] == theirs

    def test_different_sids_are_different_messages(self, api: TestClient) -> None:
        contact_id = create_contact(api)

        one = record_message(api, contact_id, messageSid="SM-a")
        two = record_message(api, contact_id, messageSid="SM-b")

        assert one["id"] != two["id"]
        assert len(walk(api, f"/v1/contacts/messages/{contact_id}")[0]) == 2


class TestChatWindow:
    def test_an_inbound_message_opens_it(self, api: TestClient) -> None:
        contact_id = create_contact(api)
        assert get_contact(api, contact_id)["isChatWindowOpen"] is False

        record_message(api, contact_id, direction="inbound")

        assert get_contact(api, contact_id)["isChatWindowOpen"] is True

    def test_an_outbound_message_does_not(self, api: TestClient) -> None:
        contact_id = create_contact(api)

        record_message(api, contact_id, direction="outbound")

        assert get_contact(api, contact_id)["isChatWindowOpen"] is False

    def test_an_inbound_message_two_days_old_does_not(self, api: TestClient) -> None:
        contact_id = create_contact(api)

        record_message(api, contact_id, direction="inbound", timestamp=ago(days=2))

        assert get_contact(api, contact_id)["isChatWindowOpen"] is False

    def test_an_inbound_message_23_hours_old_does(self, api: TestClient) -> None:
        contact_id = create_contact(api)

        record_message(api, contact_id, direction="inbound", timestamp=ago(hours=23))

        assert get_contact(api, contact_id)["isChatWindowOpen"] is True

    def test_an_old_inbound_after_a_recent_one_leaves_it_open(self, api: TestClient) -> None:
        contact_id = create_contact(api)
        record_message(api, contact_id, direction="inbound")

        record_message(api, contact_id, direction="inbound", timestamp=ago(days=3))

        assert get_contact(api, contact_id)["isChatWindowOpen"] is True

    def test_an_inbound_message_reopens_a_window_the_client_closed(self, api: TestClient) -> None:
        contact_id = create_contact(api)
        record_message(api, contact_id, direction="inbound")
        api.put(f"/v1/contacts/{contact_id}", json={"isChatWindowOpen": False})
        assert get_contact(api, contact_id)["isChatWindowOpen"] is False

        record_message(api, contact_id, direction="inbound")

        assert get_contact(api, contact_id)["isChatWindowOpen"] is True


class TestList:
    @pytest.fixture
    def messages(self, api: TestClient) -> tuple[str, list[dict[str, Any]]]:
        """A contact with 11 messages in shuffled time order, several sharing a timestamp."""
        contact_id = create_contact(api)
        base = datetime(2026, 3, 1, 12, tzinfo=UTC)
        minutes = [5, 1, 3, 3, 3, 0, 7, 1, 5, 9, 3]
        made = [
            record_message(
                api,
                contact_id,
                direction="inbound" if n % 2 else "outbound",
                body=f"m{n}",
                timestamp=to_wire(base + timedelta(minutes=minute)),
            )
            for n, minute in enumerate(minutes)
        ]
        return contact_id, made

    def test_default_is_oldest_first_in_one_page(
        self, api: TestClient, messages: tuple[str, list[dict[str, Any]]]
    ) -> None:
        contact_id, made = messages

        response = api.get(f"/v1/contacts/messages/{contact_id}")

        assert response.status_code == 200
        body = response.json()
        assert body["nextCursor"] is None
        assert [m["id"] for m in body["data"]] == in_order(made)
        assert {m["id"]: m for m in body["data"]} == {m["id"]: m for m in made}

    @pytest.mark.parametrize("limit", [1, 2, 3, 4, 5, 10, 11, 12, 500])
    @pytest.mark.parametrize("order", ["asc", "desc"])
    def test_walking_every_page_sees_each_message_once_in_order(
        self,
        api: TestClient,
        messages: tuple[str, list[dict[str, Any]]],
        limit: int,
        order: str,
    ) -> None:
        contact_id, made = messages

        pages = walk(api, f"/v1/contacts/messages/{contact_id}", limit=limit, order=order)

        expected = in_order(made)
        if order == "desc":
            expected.reverse()
        seen = [m["id"] for page in pages for m in page]
        assert seen == expected
        assert len(pages) == math.ceil(len(made) / limit)
        assert all(len(page) == limit for page in pages[:-1])
        assert 1 <= len(pages[-1]) <= limit

    def test_asc_is_the_default_order(
        self, api: TestClient, messages: tuple[str, list[dict[str, Any]]]
    ) -> None:
        contact_id, _ = messages

        assert walk(api, f"/v1/contacts/messages/{contact_id}", limit=3) == walk(
            api, f"/v1/contacts/messages/{contact_id}", limit=3, order="asc"
        )

    def test_a_message_added_during_a_walk_does_not_disturb_it(
        self, api: TestClient, messages: tuple[str, list[dict[str, Any]]]
    ) -> None:
        contact_id, made = messages
        first = api.get(f"/v1/contacts/messages/{contact_id}", params={"limit": 4}).json()
        late = record_message(api, contact_id, timestamp="2026-03-01T13:00:00Z")

        rest = walk(api, f"/v1/contacts/messages/{contact_id}", limit=4, cursor=first["nextCursor"])

        seen = [m["id"] for m in first["data"]] + [m["id"] for page in rest for m in page]
        assert seen == [*in_order(made), late["id"]]

    def test_the_default_page_is_50(self, api: TestClient) -> None:
        contact_id = create_contact(api)
        for n in range(51):
            record_message(
                api,
                contact_id,
                body=f"n{n}",
                timestamp=to_wire(datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=n)),
            )

        first = api.get(f"/v1/contacts/messages/{contact_id}").json()
        second = api.get(
            f"/v1/contacts/messages/{contact_id}", params={"cursor": first["nextCursor"]}
        ).json()

        assert len(first["data"]) == 50
        assert first["nextCursor"] is not None
        assert [m["body"] for m in second["data"]] == ["n50"]
        assert second["nextCursor"] is None

    def test_only_this_contacts_messages(self, api: TestClient) -> None:
        contact_id, other = create_contact(api), create_contact(api)
        mine = record_message(api, contact_id)
        record_message(api, other)

        assert walk(api, f"/v1/contacts/messages/{contact_id}") == [[mine]]

    def test_a_contact_without_messages_has_an_empty_page(self, api: TestClient) -> None:
        contact_id = create_contact(api)

        response = api.get(f"/v1/contacts/messages/{contact_id}")

        assert response.status_code == 200
        assert response.json() == {"success": True, "data": [], "nextCursor": None}

    @pytest.mark.parametrize("limit", ["0", "501", "x", "-1", "1.5"])
    def test_a_bad_limit_is_400(self, api: TestClient, limit: str) -> None:
        contact_id = create_contact(api)
        record_message(api, contact_id)

        response = api.get(f"/v1/contacts/messages/{contact_id}", params={"limit": limit})

        assert response.status_code == 400
        assert response.json()["success"] is False
        assert [detail["field"] for detail in response.json()["details"]] == ["limit"]

    @pytest.mark.parametrize(
        "cursor",
        [
            "garbage!",
            "bm90IGpzb24",  # base64 of "not json"
            base64.urlsafe_b64encode(b'["only-one"]').decode(),
            base64.urlsafe_b64encode(b'["not a time", "msg_x"]').decode(),
            base64.urlsafe_b64encode(b'{"a": 1}').decode(),
        ],
    )
    def test_a_bad_cursor_is_400(self, api: TestClient, cursor: str) -> None:
        contact_id = create_contact(api)
        record_message(api, contact_id)

        response = api.get(f"/v1/contacts/messages/{contact_id}", params={"cursor": cursor})

        assert response.status_code == 400
        assert [detail["field"] for detail in response.json()["details"]] == ["cursor"]

    @pytest.mark.parametrize("order", ["up", "newest", "ascending"])
    def test_a_bad_order_is_400(self, api: TestClient, order: str) -> None:
        contact_id = create_contact(api)
        record_message(api, contact_id)

        response = api.get(f"/v1/contacts/messages/{contact_id}", params={"order": order})

        assert response.status_code == 400
        assert [detail["field"] for detail in response.json()["details"]] == ["order"]

    def test_without_a_contact_id_is_400(self, api: TestClient) -> None:
        response = api.get("/v1/contacts/messages/")

        assert response.status_code == 400
        assert response.json() == {
            "success": False,
            "error": "bad_request",
            "message": "Missing contact ID",
        }

    def test_an_unknown_contact_is_404(self, api: TestClient) -> None:
        for contact_id in (UNKNOWN_CONTACT, "nope"):
            response = api.get(f"/v1/contacts/messages/{contact_id}")
            assert response.status_code == 404, contact_id
            assert response.json() == CONTACT_NOT_FOUND

    def test_no_key_is_401(self, api: TestClient, anonymous: TestClient) -> None:
        contact_id = create_contact(api)
        record_message(api, contact_id, body="private")

        response = anonymous.get(f"/v1/contacts/messages/{contact_id}")

        assert response.status_code == 401
        assert "private" not in response.text
