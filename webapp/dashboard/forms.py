"""Dashboard forms. Every POST form is a FlaskForm, so each one carries and checks a CSRF token."""

from __future__ import annotations

from flask import abort
from flask_wtf import FlaskForm
from flask_wtf.file import FileRequired, MultipleFileField
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.auth.policy import ROLES
from webapp.dashboard.errors import CSRF_MESSAGE
from webapp.pipeline.config import FieldError
from webapp.services.errors import ValidationFailed


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
        description="Optional: one key=value per line, e.g. customer=acme (a JSON object works too).",
        render_kw={"rows": 3, "spellcheck": "false", "autocomplete": "off"},
    )
    files = MultipleFileField("Documents", validators=[FileRequired("Choose at least one file.")])
    # Ties the jobs of one upload together (the ``upload`` label): made when the page is shown.
    batch = HiddenField()


def parse_label_lines(raw: str | None) -> str | dict[str, str]:
    """``key=value`` lines (or commas) → a dict; text that starts with ``{`` is left for the JSON parser."""
    text = (raw or "").strip()
    if not text or text.startswith(("{", "[")):
        return text
    labels: dict[str, str] = {}
    for number, line in enumerate(text.replace(",", "\n").splitlines(), 1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ValidationFailed([FieldError("labels", f"“{line.strip()}” (item {number}) is not key=value")])
        labels[key.strip()] = value.strip()
    return labels


class BulkForm(FlaskForm):
    """The jobs list's checkboxes; the ids are checked by the jobs service one by one."""

    job_ids = SelectMultipleField("Jobs", validate_choice=False)
    next = HiddenField()


class ActionForm(FlaskForm):
    """Buttons that post nothing but the CSRF token: cancel and retry a job, revoke a key, disable or
    enable a user, change a role (the role itself is read and checked by the users service)."""


def add_service_errors(form: FlaskForm, exc: ValidationFailed, fallback: Field | None = None) -> None:
    """Put a service's field errors next to the form's fields (``labels.customer`` → labels); an error
    for a field the form does not have goes to ``fallback``, or above the form."""
    for error in exc.errors:
        field = getattr(form, error.field.split(".", 1)[0].split("[", 1)[0], None)
        if not isinstance(field, Field):
            field = fallback
        if field is None:
            form.form_errors.append(f"{error.field}: {error.message}")
            continue
        message = error.message if error.field == field.name else f"{error.field}: {error.message}"
        field.errors = [*field.errors, message]


def checked_action_form() -> None:
    """A 400 with the friendly message unless the posted CSRF token is good."""
    if not ActionForm().validate_on_submit():
        abort(400, description=CSRF_MESSAGE)


class ApiKeyForm(FlaskForm):
    """Name, a narrower role and an expiry. The API keys service has the last word on every value (it
    refuses a role above the owner's even if a forged form offers one)."""

    name = StringField(
        "Name",
        validators=[DataRequired("Give the key a name."), Length(max=100)],
        description="What the key is for, e.g. “nightly import”.",
        render_kw={"autocomplete": "off", "maxlength": 100},
    )
    role = SelectField("Role", description="A key can do less than you, never more.", validate_choice=True)
    expires_in_days = IntegerField(
        "Expires after (days)",
        validators=[Optional(), NumberRange(1, 3650, "Enter a number of days from 1 to 3650.")],
        description="Leave empty for a key that does not expire.",
        render_kw={"min": 1, "max": 3650, "inputmode": "numeric"},
    )


class UserCreateForm(FlaskForm):
    email = EmailField(
        "E-mail",
        validators=[DataRequired("Enter an e-mail address."), Length(max=320)],
        render_kw={"autocomplete": "off"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired("Enter a password."), Length(max=1000)],
        description="At least 8 characters. Tell the user through a channel you trust.",
        render_kw={"autocomplete": "new-password"},
    )
    role = SelectField("Role", choices=[SelectChoice(role) for role in ROLES], default="viewer", validate_choice=True)


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WebhookForm(FlaskForm):
    """An endpoint's URL, events, description and switch. The webhooks service checks the URL (no internal
    addresses) and the events, so the dashboard and the API refuse the same things with the same words."""

    url = StringField(
        "URL",
        validators=[DataRequired("Enter the URL that receives the events."), Length(max=2048)],
        description="Where Docpipe POSTs each event, e.g. https://hooks.example.com/docpipe.",
        render_kw={"autocomplete": "off", "spellcheck": "false", "inputmode": "url"},
    )
    events = CheckboxesField("Events", validate_choice=True)
    description = StringField(
        "Description",
        validators=[Length(max=500)],
        description="Optional: what the endpoint is for.",
        render_kw={"autocomplete": "off", "maxlength": 500},
    )
    enabled = BooleanField("Enabled", default=True)
