"""Alembic environment: migrations run on the engine handed in by ``mlat.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, create_engine
from sqlmodel import SQLModel

import mlat.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from mlat.services.search_index import outside_the_index

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    engine: Engine = config.attributes.get("engine") or create_engine(
        config.get_main_option("sqlalchemy.url") or ""
    )
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_name=outside_the_index,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
