"""Idempotency-Key: a retried write is answered from the first run, never done twice."""

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from contacthub.models import Contact, IdempotencyKey, Message
from tests.factories import Account, count_rows, create_contact, phone


class TestReplay:
    def test_a_retried_create_is_replayed_not_redone(
        self, api: TestClient, engine: Engine, account: Account
    ) -> None:
        body = {"phoneNumber": phone(), "firstName": "Once"}
        first = api.post("/v1/contacts", json=body, headers={"Idempotency-Key": "create-1"})
        again = api.post("/v1/contacts", json=body, headers={"Idempotency-Key": "create-1"})

        assert first.status_code == again.status_code == 200
        assert again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        assert "Idempotent-Replayed" not in first.headers
        assert count_rows(engine, Contact, account.id) == 1

    def test_a_replay_is_the_first_answer_even_when_the_state_changed(
        self, api: TestClient
    ) -> None:
        contact_id = create_contact(api)
        path = f"/v1/contacts/{contact_id}"
        first = api.delete(path, headers={"Idempotency-Key": "erase"})
        again = api.delete(path, headers={"Idempotency-Key": "erase"})

        assert first.status_code == again.status_code == 200
        assert again.json() == first.json()
        assert api.delete(path).status_code == 404  # without the key, the work is really redone

    def test_messages_without_a_sid_are_not_duplicated_by_a_retry(
        self, api: TestClient, engine: Engine, account: Account
    ) -> None:
        contact_id = create_contact(api)
        for _ in range(3):
            answer = api.post(
                f"/v1/contacts/messages/{contact_id}",
                json={"direction": "inbound", "body": "hi"},
                headers={"Idempotency-Key": "msg-1"},
            )
            assert answer.status_code == 201

        assert count_rows(engine, Message, account.id) == 1

    def test_the_same_json_in_another_order_is_the_same_request(self, api: TestClient) -> None:
        number = phone()
        first = api.post(
            "/v1/contacts",
            content=f'{{"phoneNumber": "{number}", "firstName": "A"}}',
            headers={"Idempotency-Key": "k"},
        )
        again = api.post(
            "/v1/contacts",
            content=f'{{"firstName":"A","phoneNumber":"{number}"}}',
            headers={"Idempotency-Key": "k"},
        )

        assert again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"

    def test_errors_are_replayed_too(self, api: TestClient) -> None:
        first = api.post(
            "/v1/contacts", json={"phoneNumber": "+1234567890"}, headers={"Idempotency-Key": "bad"}
        )
        again = api.post(
            "/v1/contacts", json={"phoneNumber": "+1234567890"}, headers={"Idempotency-Key": "bad"}
        )

        assert first.status_code == again.status_code == 400
        assert again.json() == first.json()


class TestConflicts:
    def test_the_same_key_with_another_body_is_409(
        self, api: TestClient, engine: Engine, account: Account
    ) -> None:
        api.post("/v1/contacts", json={"phoneNumber": phone()}, headers={"Idempotency-Key": "k1"})
        response = api.post(
            "/v1/contacts", json={"phoneNumber": phone()}, headers={"Idempotency-Key": "k1"}
        )

        assert response.status_code == 409
        assert response.json()["error"] == "idempotency_conflict"
        assert response.json()["success"] is False
        assert count_rows(engine, Contact, account.id) == 1

    def test_the_same_key_on_another_path_is_409(self, api: TestClient) -> None:
        contact_id = create_contact(api)
        api.put(
            f"/v1/contacts/{contact_id}", json={"firstName": "A"}, headers={"Idempotency-Key": "k2"}
        )
        response = api.patch(
            f"/v1/contacts/{contact_id}", json={"firstName": "A"}, headers={"Idempotency-Key": "k2"}
        )

        assert response.json()["error"] == "idempotency_conflict"

    def test_a_key_still_running_is_409_in_progress(
        self, api: TestClient, engine: Engine, account: Account
    ) -> None:
        body = {"phoneNumber": phone()}
        api.post("/v1/contacts", json=body, headers={"Idempotency-Key": "slow"})
        with engine.begin() as conn:  # as if the first request had not answered yet
            conn.execute(
                update(IdempotencyKey)
                .where(IdempotencyKey.account_id == account.id, IdempotencyKey.key == "slow")
                .values(status=None, body=None)
            )

        response = api.post("/v1/contacts", json=body, headers={"Idempotency-Key": "slow"})

        assert response.status_code == 409
        assert response.json()["error"] == "idempotency_in_progress"
        assert response.headers["Retry-After"] == "1"


class TestScope:
    def test_keys_belong_to_an_account(self, api: TestClient, other_api: TestClient) -> None:
        number = phone()
        mine = api.post(
            "/v1/contacts", json={"phoneNumber": number}, headers={"Idempotency-Key": "shared"}
        )
        theirs = other_api.post(
            "/v1/contacts", json={"phoneNumber": number}, headers={"Idempotency-Key": "shared"}
        )

        assert mine.status_code == theirs.status_code == 200
        assert mine.json()["data"]["contactId"] != theirs.json()["data"]["contactId"]
        assert "Idempotent-Replayed" not in theirs.headers

    def test_a_day_old_key_runs_again(
        self, api: TestClient, engine: Engine, account: Account
    ) -> None:
        body = {"phoneNumber": phone()}
        api.post("/v1/contacts", json=body, headers={"Idempotency-Key": "old"})
        with engine.begin() as conn:
            conn.execute(
                update(IdempotencyKey)
                .where(IdempotencyKey.account_id == account.id)
                .values(created_at=datetime.now(UTC) - timedelta(hours=25))
            )

        response = api.post("/v1/contacts", json=body, headers={"Idempotency-Key": "old"})

        assert response.status_code == 409  # really run again: the phone is now taken
        assert response.json()["error"] == "contact_exists"

    def test_without_a_valid_key_the_api_answers_401(self, anonymous: TestClient) -> None:
        response = anonymous.post(
            "/v1/contacts", json={"phoneNumber": phone()}, headers={"Idempotency-Key": "x"}
        )

        assert response.status_code == 401

    def test_an_overlong_key_is_400(self, api: TestClient) -> None:
        response = api.post(
            "/v1/contacts", json={"phoneNumber": phone()}, headers={"Idempotency-Key": "k" * 256}
        )

        assert response.status_code == 400
        assert response.json()["details"][0]["field"] == "Idempotency-Key"
