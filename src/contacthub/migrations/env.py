"""Alembic environment: runs migrations on the engine ContactHub itself would use."""

from alembic import context

from contacthub.core.db import make_engine
from contacthub.models import Base

config = context.config
engine = make_engine(config.attributes["database_url"])

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
