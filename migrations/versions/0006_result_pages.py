"""result pages: the pages of a paginated source (number, width, height, rotation, source)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    # Results stored before layout analysis have no pages: "[]" fills them, as the model's default does.
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'pages',
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
                nullable=False,
                server_default='[]',
            )
        )


def downgrade():
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.drop_column('pages')
