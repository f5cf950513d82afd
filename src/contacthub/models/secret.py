"""Server secrets: made once per database, so that every process serving it agrees."""

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from contacthub.models.base import Base


class ServerSecret(Base):
    """A random secret the migration stored (``cursor`` signs pagination cursors).

    Used only when CONTACTHUB_SECRET_KEY is not set. Not a tenant table: it belongs to the server.
    """

    __tablename__ = "server_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[bytes] = mapped_column(LargeBinary)
