"""ContactHub's benchmarks: ``python -m bench`` (the API under load) and ``python -m bench datalayer``."""
