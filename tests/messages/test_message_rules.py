"""Message fields and messageSid (review M2, L11), on both databases."""

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from contacthub.core.clock import to_wire
from tests.factories import assert_invalid, create_contact, get_contact, post_message


def test_a_timestamp_more_than_a_day_ahead_is_400_naming_it(api: TestClient) -> None:
    contact_id = create_contact(api)
    ahead = to_wire(datetime.now(UTC) + timedelta(days=1, minutes=5))

    assert_invalid(post_message(api, contact_id, timestamp=ahead), "timestamp")
    assert_invalid(post_message(api, contact_id, timestamp="2099-01-01T00:00:00Z"), "timestamp")
    assert get_contact(api, contact_id)["isChatWindowOpen"] is False


def test_a_timestamp_a_little_ahead_is_accepted(api: TestClient) -> None:
    contact_id = create_contact(api)
    ahead = to_wire(datetime.now(UTC) + timedelta(hours=23))

    assert post_message(api, contact_id, timestamp=ahead).status_code == 201


def test_a_message_sid_sent_again_on_another_contact_answers_the_first_message(
    api: TestClient,
) -> None:
    first, second = create_contact(api), create_contact(api)
    stored = post_message(api, first, messageSid="SM1", body="one").json()["data"]

    again = post_message(api, second, messageSid="SM1", body="two")

    assert again.status_code == 200
    assert again.json()["data"] == stored
    assert again.json()["data"]["contactId"] == first
    assert api.get(f"/v1/contacts/messages/{second}").json()["data"] == []
    assert get_contact(api, second)["isChatWindowOpen"] is False


def test_a_status_longer_than_its_column_is_400(api: TestClient) -> None:
    contact_id = create_contact(api)

    assert_invalid(post_message(api, contact_id, status="s" * 65), "status")
    assert post_message(api, contact_id, status="s" * 64).status_code == 201
