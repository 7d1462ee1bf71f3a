"""stored files and TOTP secrets are encrypted with keys from the configuration

A migration does not see the keys, so it only makes room: each file's key id, wrapped
data key and nonce (empty: the bytes are still plain), and the TOTP secret in a column
wide enough for its sealed form, marked ``plain:`` until sealed. `flask --app app
init-db` seals these right after migrating (as `flask --app app keys rotate` does);
until then the app refuses to read them.

Downgrading is refused while any file or secret is sealed: the older code would read
the ciphertext as the file.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0017'
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain columns with constant defaults, so that SQLite adds them in place.
    op.add_column('file_content', sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=32),
                                            nullable=False, server_default=''))
    op.add_column('file_content', sa.Column('data_key', sa.LargeBinary(), nullable=False,
                                            server_default=''))
    op.add_column('file_content', sa.Column('nonce', sa.LargeBinary(), nullable=False,
                                            server_default=''))
    op.add_column('user', sa.Column('totp_sealed', sqlmodel.sql.sqltypes.AutoString(length=255),
                                    nullable=True))
    op.add_column('user', sa.Column('totp_pending', sqlmodel.sql.sqltypes.AutoString(length=255),
                                    nullable=True))
    op.add_column('user', sa.Column('totp_pending_at', sqlmodel.sql.sqltypes.UTCDateTime(),
                                    nullable=True))
    op.execute("UPDATE \"user\" SET totp_sealed = 'plain:' || totp_secret "
               "WHERE totp_secret IS NOT NULL")
    op.drop_column('user', 'totp_secret')


def downgrade() -> None:
    connection = op.get_bind()
    sealed = connection.execute(sa.text(
        "SELECT (SELECT count(*) FROM file_content WHERE key_id <> '') + "
        "(SELECT count(*) FROM \"user\" WHERE totp_sealed LIKE 'v1:%')"
    )).scalar_one()
    if sealed:
        raise RuntimeError(
            f"{sealed} stored files or TOTP secrets are encrypted, and the code before "
            "revision 0017 cannot read them: downgrading would lose them."
        )
    op.add_column('user', sa.Column('totp_secret', sqlmodel.sql.sqltypes.AutoString(length=64),
                                    nullable=True))
    op.execute("UPDATE \"user\" SET totp_secret = substr(totp_sealed, 7) "
               "WHERE totp_sealed LIKE 'plain:%'")
    op.drop_column('user', 'totp_pending_at')
    op.drop_column('user', 'totp_pending')
    op.drop_column('user', 'totp_sealed')
    op.drop_column('file_content', 'nonce')
    op.drop_column('file_content', 'data_key')
    op.drop_column('file_content', 'key_id')
