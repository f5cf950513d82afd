"""Operations endpoints: health, readiness, metrics."""

from fastapi.testclient import TestClient

from contacthub.app import create_app
from contacthub.config import Settings
from tests.factories import assert_error, create_contact


def test_health_and_readiness_need_no_key(anonymous: TestClient) -> None:
    assert anonymous.get("/healthz").json() == {"status": "ok"}
    assert anonymous.get("/readyz").json() == {"status": "ready"}


def test_readiness_fails_when_the_database_does_not_answer(settings: Settings) -> None:
    broken = settings.model_copy(
        update={"database_url": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
    )
    client = TestClient(create_app(broken), raise_server_exceptions=False)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["success"] is False
    assert_error(response, 503, "unavailable")


def test_metrics_count_requests_by_route_template(api: TestClient, anonymous: TestClient) -> None:
    contact_id = create_contact(api)
    api.get(f"/v1/contacts/{contact_id}")

    text = anonymous.get("/metrics").text

    assert (
        'contacthub_requests_total{method="GET",route="/v1/contacts/{contactId}",status="200"}'
        in text
    )
    assert contact_id not in text
    assert "contacthub_request_duration_seconds_bucket" in text


def test_metrics_can_be_turned_off(settings: Settings) -> None:
    client = TestClient(create_app(settings.model_copy(update={"metrics": False})))

    assert client.get("/metrics").status_code == 404
