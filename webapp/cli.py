"""``flask --app wsgi ...`` commands for operators."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from webapp.pipeline.runner import PipelineFailed
from webapp.services import api_keys, audit_log, pipelines, users
from webapp.services import extract as extract_service
from webapp.services.errors import ServiceError


@click.command("setup")
@with_appcontext
def setup_command() -> None:
    """Apply migrations, seed the default pipeline and the first admin (idempotent)."""
    upgrade(directory=str(Path(current_app.root_path).parent / "migrations"))
    pipelines.ensure_default_pipeline()
    email = current_app.config["ADMIN_EMAIL"]
    admin, generated = users.ensure_admin(email, current_app.config.get("ADMIN_PASSWORD"))
    click.echo(f"Database ready: {current_app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}")
    if generated:
        path = Path(current_app.config["DATA_DIR"]) / "admin-password.txt"
        path.write_text(f"{admin.email}\n{generated}\n")
        path.chmod(0o600)
        click.echo(f"Admin created: {admin.email} / {generated}  (also saved in {path})")
    elif current_app.config.get("ADMIN_PASSWORD") and admin.email == users.normalise_email(email):
        click.echo(f"Admin: {admin.email} (password from DOCPIPE_ADMIN_PASSWORD)")
    else:
        click.echo(f"Admin: {admin.email} (existing account; password unchanged)")


@click.group("users")
def users_group() -> None:
    """Manage users."""


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--role", type=click.Choice(["admin", "operator", "viewer"]), default="viewer", show_default=True)
@with_appcontext
def users_create(email: str, password: str, role: str) -> None:
    try:
        user = users.create_user(email, password, role)
    except ServiceError as exc:
        raise click.ClickException(exc.detail) from None
    click.echo(f"created {user.role} {user.email} ({user.id})")


@users_group.command("set")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(["admin", "operator", "viewer"]))
@click.option("--active/--disabled", default=None, help="Enable or disable the account (disabling ends its tokens).")
@click.option("--password")
@with_appcontext
def users_set(email: str, role: str | None, active: bool | None, password: str | None) -> None:
    """Change a user's role, status or password."""
    user = users.find_by_email(email)
    if user is None:
        raise click.ClickException(f"no user {email}")
    changes = {
        key: value for key, value in (("role", role), ("active", active), ("password", password)) if value is not None
    }
    try:
        users.update_user(user, changes, acting_user_id=None)
    except ServiceError as exc:
        raise click.ClickException(exc.detail) from None
    click.echo(f"updated {user.email}: role {user.role}, {'active' if user.active else 'disabled'}")


@click.group("api-keys")
def api_keys_group() -> None:
    """Manage API keys."""


@api_keys_group.command("create")
@click.option("--email", required=True, help="The key's owner; the key acts with the owner's role.")
@click.option("--name", required=True, help="What the key is for, e.g. 'ci uploader'.")
@click.option("--role", type=click.Choice(["admin", "operator", "viewer"]), help="A narrower role than the owner's.")
@click.option("--expires-in-days", type=int)
@with_appcontext
def api_keys_create(email: str, name: str, role: str | None, expires_in_days: int | None) -> None:
    """Create a key and print it once: it is stored only as a hash."""
    owner = users.find_by_email(email)
    if owner is None:
        raise click.ClickException(f"no user {email}")
    try:
        api_key, secret = api_keys.create_key(owner, name, role, expires_in_days)
    except ServiceError as exc:
        raise click.ClickException(exc.detail) from None
    click.echo(
        f"created key {api_key.id} ({api_key.prefix}…) for {owner.email}, role {api_keys.effective_role(api_key)}"
    )
    click.echo(secret)


@api_keys_group.command("revoke")
@click.argument("key_id")
@with_appcontext
def api_keys_revoke(key_id: str) -> None:
    try:
        api_keys.revoke_key(api_keys.get_key(key_id, None))
    except ServiceError as exc:
        raise click.ClickException(exc.detail) from None
    click.echo(f"revoked {key_id}")


@click.group("audit")
def audit_group() -> None:
    """Check and maintain the audit log."""


@audit_group.command("verify")
@click.option("--expect-head", help="A hash exported earlier with `audit head`: fail if the log no longer contains it.")
@with_appcontext
def audit_verify(expect_head: str | None) -> None:
    """Walk the hash chain; exit 1 and name the first bad event on tampering."""
    result = audit_log.verify()
    if not result.ok:
        click.echo(
            f"audit log TAMPERED at event {result.event_id}: {result.problem} ({result.checked} events ok before it)"
        )
        sys.exit(1)
    if expect_head and not audit_log.contains_hash(expect_head):
        click.echo(f"audit log TRUNCATED: the exported head {expect_head} is no longer in the chain")
        sys.exit(1)
    click.echo(f"audit log OK: {result.checked} events, head {result.head}")


@audit_group.command("head")
@with_appcontext
def audit_head() -> None:
    """Print the newest event's id and hash, to keep somewhere the database's admins cannot write."""
    click.echo(json.dumps(audit_log.head()))


@audit_group.command("purge")
@click.option("--retention-days", type=int, help="Defaults to DOCPIPE_AUDIT_RETENTION_DAYS.")
@with_appcontext
def audit_purge(retention_days: int | None) -> None:
    days = retention_days or int(current_app.config["AUDIT_RETENTION_DAYS"])
    click.echo(f"purged {audit_log.purge(days)} events older than {days} days")


@click.command("extract")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--pipeline", "pipeline_name", default="default", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["json", "text", "markdown"]), default="json", show_default=True)
@with_appcontext
def extract_command(files: tuple[Path, ...], pipeline_name: str, fmt: str) -> None:
    """Run a pipeline in-process on FILES and print each result (JSON: one object per line)."""
    try:
        ref, stages = extract_service.resolve_stages(pipeline_name)
    except ServiceError as exc:
        raise click.ClickException(exc.detail) from None
    failures = 0
    for path in files:
        error = None
        try:
            if not path.is_file():
                raise FileNotFoundError(f"no such file: {path}")
            result = extract_service.extract_file(path, stages)
        except PipelineFailed as failure:
            error = failure.error
        except OSError as exc:
            error = {"type": "not_found", "message": str(exc), "stage": None, "retryable": False}
        if error is not None:
            failures += 1
            if fmt == "json":
                click.echo(json.dumps({"file": str(path), "error": error}, ensure_ascii=False))
            else:
                click.echo(f"{path}: {error['stage'] or 'input'}: {error['type']}: {error['message']}", err=True)
            continue
        if fmt == "json":
            click.echo(json.dumps({"file": str(path), "pipeline": ref, **result}, ensure_ascii=False))
        else:
            if len(files) > 1:
                click.echo(f"==> {path} <==")
            click.echo(result["text"] if fmt == "text" else result["markdown"])
    sys.exit(1 if failures else 0)


@click.command("openapi")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="write here (default: print)")
@with_appcontext
def openapi_command(output: Path | None) -> None:
    """Write the OpenAPI document (what GET /api/v1/openapi.json serves); docs/openapi.json is the committed copy."""
    from webapp.api.openapi import document, render

    text = render(document(current_app._get_current_object()))  # type: ignore[attr-defined]
    if output is None:
        click.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    click.echo(f"wrote {output}")


def init_app(app: Flask) -> None:
    app.cli.add_command(setup_command)
    app.cli.add_command(openapi_command)
    app.cli.add_command(users_group)
    app.cli.add_command(api_keys_group)
    app.cli.add_command(audit_group)
    app.cli.add_command(extract_command)
