#!/usr/bin/env bash
# Runs the web server and one queue consumer in the foreground; Ctrl-C stops both cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-8000}"
VENV="${VENV:-.venv}"
WEB_WORKERS="${DOCPIPE_WEB_WORKERS:-2}"
QUEUE_WORKERS="${DOCPIPE_QUEUE_WORKERS:-2}"
DATA_DIR="${DOCPIPE_DATA_DIR:-instance}"

# Prometheus: gunicorn's workers and the consumer write their metrics to one folder, which /metrics adds up.
# It starts empty on every run (only the metric files are removed, never anything else in the folder).
export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-$DATA_DIR/metrics}"
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
PROMETHEUS_MULTIPROC_DIR="$(realpath "$PROMETHEUS_MULTIPROC_DIR")"
find "$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -type f -name '*.db' -delete

PORT="$PORT" DOCPIPE_WEB_WORKERS="$WEB_WORKERS" "$VENV/bin/gunicorn" -c gunicorn.conf.py wsgi:app &
web=$!
# Both queues hand a worker a new job as soon as it is enqueued (Redis: a blocking pop; SQLite: a dequeue that
# watches the queue file, see webapp/queue.py). The delays apply only after a queue error: retry within 0.25 s
# rather than huey's default back-off to 10 s.
"$VENV/bin/huey_consumer" webapp.worker.huey --workers "$QUEUE_WORKERS" --worker-type thread \
  --delay 0.05 --max-delay 0.25 &
worker=$!

stop() {
  trap - INT TERM
  echo "Stopping Docpipe (web pid $web, worker pid $worker)..."
  # SIGTERM to gunicorn: graceful; SIGINT to huey_consumer: finish running tasks, then exit.
  kill -TERM "$web" 2>/dev/null || true
  kill -INT "$worker" 2>/dev/null || true
  wait "$web" 2>/dev/null || true
  wait "$worker" 2>/dev/null || true
  echo "Stopped."
}
trap stop INT TERM

echo "Docpipe is running: dashboard http://localhost:${PORT}/  API http://localhost:${PORT}/api/v1  (Ctrl-C stops)"
# If either process dies, stop the other too rather than run half a service.
wait -n "$web" "$worker" || true
stop
