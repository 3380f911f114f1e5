"""The API's pydantic models, one module per resource (base.py: what they share), all reachable from here:
``from webapp.api import schemas as s`` then ``s.Job``, ``s.PipelineCreate`` ..."""

from webapp.api.schemas.accounts import *  # noqa: F403
from webapp.api.schemas.audit import *  # noqa: F403
from webapp.api.schemas.base import *  # noqa: F403
from webapp.api.schemas.jobs import *  # noqa: F403
from webapp.api.schemas.pipelines import *  # noqa: F403
from webapp.api.schemas.webhooks import *  # noqa: F403
