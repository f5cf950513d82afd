"""``python -m contacthub`` is the ``contacthub`` command."""

from contacthub.cli import app

app()
