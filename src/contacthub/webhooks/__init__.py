"""Webhooks: endpoints, signed deliveries with retries (API.md §7)."""
