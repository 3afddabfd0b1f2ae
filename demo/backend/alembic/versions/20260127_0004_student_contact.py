"""student phone number and guardian contact

Revision ID: 0004_student_contact
Revises: 0003_audit_log
Create Date: 2026-01-27 16:40:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0004_student_contact"
down_revision = "0003_audit_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("students", sa.Column("phone", sa.String(32)))
    op.add_column("students", sa.Column("guardian_name", sa.String(200)))


def downgrade() -> None:
    op.drop_column("students", "guardian_name")
    op.drop_column("students", "phone")
