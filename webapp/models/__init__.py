"""All models, imported here so Alembic and the app see one metadata."""

from webapp.models.api_key import ApiKey
from webapp.models.audit import AuditCheckpoint, AuditEvent
from webapp.models.idempotency_key import IdempotencyKey
from webapp.models.job import Job, JobStageRun
from webapp.models.pipeline import Pipeline, PipelineVersion
from webapp.models.result import Result
from webapp.models.stored_file import StoredFile
from webapp.models.user import User
from webapp.models.user_session import UserSession
from webapp.models.webhook import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookMessage
from webapp.models.worker import Worker

__all__ = [
    "ApiKey",
    "AuditCheckpoint",
    "AuditEvent",
    "IdempotencyKey",
    "Job",
    "JobStageRun",
    "Pipeline",
    "PipelineVersion",
    "Result",
    "StoredFile",
    "User",
    "UserSession",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookMessage",
    "Worker",
]
