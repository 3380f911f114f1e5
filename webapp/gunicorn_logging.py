"""gunicorn's error and access logs in Docpipe's format (``logger_class`` in gunicorn.conf.py).

An access line is structured (method, path, status, bytes, duration_ms, remote_addr, user_agent) and carries
the request id the app echoed in X-Request-ID, so it joins with the app's own lines for that request. The
query string is left out: it is the one part of a URL that may carry something private.
"""

from __future__ import annotations

import traceback

from gunicorn import glogging

from webapp import logs


class JsonLogger(glogging.Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        fmt = logs.formatter(logs.log_format())
        for logger in (self.error_log, self.access_log):
            for handler in logger.handlers:
                handler.setFormatter(fmt)

    def access(self, resp, req, environ, request_time) -> None:  # noqa: ARG002 - gunicorn's signature
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        request_id = next((value for name, value in resp.headers if name.lower() == "x-request-id"), None)
        fields = {
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "status": int(status) if str(status).isdigit() else status,
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "remote_addr": environ.get("REMOTE_ADDR"),
            "user_agent": environ.get("HTTP_USER_AGENT"),
            "protocol": environ.get("SERVER_PROTOCOL"),
            "request_id": request_id,
        }
        try:
            self.access_log.info("request", extra=fields)
        except Exception:  # noqa: BLE001 - gunicorn's own behaviour: a failed access line goes to the error log
            self.error(traceback.format_exc())
