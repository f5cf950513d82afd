"""Workers: the background jobs, claimed under leases (API.md §6)."""
