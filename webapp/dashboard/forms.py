"""Dashboard forms. Every POST form is a FlaskForm, so each one carries and checks a CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileRequired, MultipleFileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length


class UploadForm(FlaskForm):
    """Priority and labels are checked by the jobs service (jobs.parse_priority / parse_labels), so the
    dashboard and the API say the same thing about the same bad value."""

    pipeline = SelectField("Pipeline", validate_choice=True)
    priority = StringField(
        "Priority",
        validators=[Length(max=2)],
        description="0–9, 9 highest. Leave empty for the pipeline's default.",
        render_kw={"inputmode": "numeric", "pattern": "[0-9]", "autocomplete": "off"},
    )
    labels = TextAreaField(
        "Labels",
        validators=[Length(max=20_000)],
        description='Optional JSON object, e.g. {"customer": "acme", "batch": 7}.',
        render_kw={"rows": 3, "spellcheck": "false"},
    )
    files = MultipleFileField("Documents", validators=[FileRequired("Choose at least one file.")])


class JobActionForm(FlaskForm):
    """Cancel and retry: no fields but the CSRF token."""
