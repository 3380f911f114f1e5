"""result chunks: the chunks a pipeline with the chunk stage cut (text, headings, pages, element ids, boxes)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-09 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    # Results stored before the chunk stage (and results of pipelines without it) have no chunks: "[]".
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'chunks',
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
                nullable=False,
                server_default='[]',
            )
        )


def downgrade():
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.drop_column('chunks')
