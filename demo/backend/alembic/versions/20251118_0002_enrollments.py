"""enrollments and grades

Revision ID: 0002_enrollments
Revises: 0001_initial
Create Date: 2025-11-18 14:30:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0002_enrollments"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "enrollments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("student_id", sa.Integer, sa.ForeignKey("students.id", ondelete="CASCADE"), nullable=False),
        sa.Column("course_id", sa.Integer, sa.ForeignKey("courses.id", ondelete="CASCADE"), nullable=False),
        sa.Column("term", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="active"),
        sa.Column("grade", sa.Numeric(4, 2)),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("student_id", "course_id", "term", name="uq_enrollments_student_course_term"),
        sa.CheckConstraint("status IN ('active', 'completed', 'dropped')", name="ck_enrollments_status"),
    )
    op.create_index("ix_enrollments_course_id", "enrollments", ["course_id"])


def downgrade() -> None:
    op.drop_index("ix_enrollments_course_id", table_name="enrollments")
    op.drop_table("enrollments")
