"""The worker tests use the webhook tests' fixtures (an app that allows loopback, a client)."""

from tests.webhooks.conftest import hooks, private_app

__all__ = ["hooks", "private_app"]
