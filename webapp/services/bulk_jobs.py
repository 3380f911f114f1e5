"""Cancel or retry many jobs at once (the dashboard's checkboxes): each job on its own, with a summary of what
happened to all of them. A job that cannot take the action (already finished, say) is skipped, not an error."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from webapp.models import Job
from webapp.pipeline.config import FieldError
from webapp.services import jobs
from webapp.services.errors import ConflictError, NotFoundError, ValidationFailed

MAX_JOBS = 500


@dataclass(slots=True)
class BulkOutcome:
    done_label: str
    done: list[str] = field(default_factory=list)
    # reason → job ids
    skipped: dict[str, list[str]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """E.g. ``3 cancelled, 1 skipped (already finished)``."""
        parts = [f"{len(self.done)} {self.done_label}"]
        parts += [f"{len(ids)} skipped ({reason})" for reason, ids in self.skipped.items()]
        if self.missing:
            parts.append(f"{len(self.missing)} not found")
        return ", ".join(parts)


def cancel_jobs(job_ids: list[str]) -> BulkOutcome:
    """Only queued and running jobs can be cancelled: the others have finished."""
    return _each(job_ids, "cancelled", jobs.cancel_job, "already finished")


def retry_jobs(job_ids: list[str]) -> BulkOutcome:
    return _each(job_ids, "queued again", jobs.retry_job, "not failed or cancelled")


def _each(job_ids: list[str], label: str, action: Callable[[Job], Job], skip_reason: str) -> BulkOutcome:
    unique = list(dict.fromkeys(job_ids))
    if not unique:
        raise ValidationFailed([FieldError("job_ids", "select at least one job")])
    if len(unique) > MAX_JOBS:
        raise ValidationFailed([FieldError("job_ids", f"at most {MAX_JOBS} jobs at once")])
    outcome = BulkOutcome(done_label=label)
    for job_id in unique:
        try:
            job = jobs.get_job(job_id)
            action(job)
        except NotFoundError:
            outcome.missing.append(job_id)
        except ConflictError:
            outcome.skipped.setdefault(skip_reason, []).append(job_id)
        else:
            outcome.done.append(job_id)
    return outcome
