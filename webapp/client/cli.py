"""The ``docpipe`` command: submit documents to a Docpipe server, follow jobs, fetch results.

Installed with the project (``[project.scripts]`` in pyproject.toml); needs only ``requests``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from itertools import islice
from pathlib import Path
from typing import Any

from .client import DEFAULT_URL, DocpipeClient
from .errors import AuthError, ConnectionFailed, DocpipeError, WaitTimeout
from .submit import FORMATS, SubmitCommand, UsageError, fetch_result

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_AUTH, EXIT_SERVER, EXIT_TIMEOUT = 0, 1, 2, 3, 4, 5

EPILOG = f"""\
environment:
  DOCPIPE_URL       the server (default {DEFAULT_URL}); --url overrides it
  DOCPIPE_API_KEY   an API key (dp_...) or a token; --api-key overrides it

exit status:
  0  success: every job succeeded
  1  a job failed or was cancelled, a file was rejected (413), or `result` found no result
  2  usage error: bad arguments, a missing file, or a request the server refused (400, 404, 409, 422)
  3  authentication or permission error (401, 403)
  4  server error (5xx) or no connection, after retries
  5  --timeout ran out while waiting
"""


def _label(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _add_connection(parser: argparse.ArgumentParser, suppress: bool) -> None:
    # On the main parser and again on each sub-command (without defaults there), so both
    # `docpipe --url U jobs list` and `docpipe jobs list --url U` work.
    default_url = argparse.SUPPRESS if suppress else os.environ.get("DOCPIPE_URL") or DEFAULT_URL
    default_key = argparse.SUPPRESS if suppress else os.environ.get("DOCPIPE_API_KEY")
    parser.add_argument("--url", default=default_url, help="server URL (env DOCPIPE_URL)")
    parser.add_argument("--api-key", default=default_key, help="API key or token (env DOCPIPE_API_KEY)")


def _command(subparsers: Any, name: str, help_text: str, description: str | None = None) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        name,
        help=help_text,
        description=description or help_text,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_connection(parser, suppress=True)
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="docpipe",
        description="Command-line client for a Docpipe server.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_connection(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_submit(commands)
    _add_jobs(commands)
    result = _command(commands, "result", "Print or save a succeeded job's result.")
    result.add_argument("job_id", metavar="ID")
    result.add_argument(
        "--format", choices=FORMATS, default="markdown",
        help="chunks: one JSON chunk a line (pipelines with the chunk stage)",
    )  # fmt: skip
    result.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    result.set_defaults(handler=_result)
    pipelines = _command(commands, "pipelines", "List pipelines.").add_subparsers(required=True, metavar="list")
    listing = _command(pipelines, "list", "every pipeline", "List pipelines.")
    listing.add_argument("--json", action="store_true", help="one JSON pipeline object per line")
    listing.set_defaults(handler=_pipelines_list)
    return parser


def _add_submit(commands: Any) -> None:
    submit = _command(commands, "submit", "Upload files as jobs; with --wait, wait for them and write their results.")
    submit.add_argument("files", nargs="+", metavar="FILE", help="files, or folders (their files, sorted)")
    submit.add_argument("--pipeline", help="pipeline id or name (default: the server's 'default')")
    submit.add_argument("--priority", type=int, choices=range(10), metavar="0-9", help="9 is the highest")
    submit.add_argument(
        "--label", dest="labels", type=_label, action="append", default=[], metavar="KEY=VALUE",
        help="a label on every job (repeatable)",
    )  # fmt: skip
    submit.add_argument("--wait", action="store_true", help="wait until every job has finished")
    submit.add_argument(
        "--format", choices=FORMATS, default="markdown",
        help="of -o results; chunks: one JSON chunk a line (the pipeline needs the chunk stage)",
    )  # fmt: skip
    submit.add_argument(
        "-o", "--output", metavar="DIR", help="write each result to DIR/<stem>.<txt|md|json|jsonl> (waits)"
    )
    submit.add_argument("--concurrency", type=_positive, default=4, help="parallel uploads (default 4)")
    submit.add_argument("--timeout", type=float, help="give up waiting after this many seconds (exit 5)")
    submit.add_argument("--json", action="store_true", help="print a JSON object per job instead of a line")
    submit.set_defaults(handler=_submit)


def _add_jobs(commands: Any) -> None:
    jobs = _command(commands, "jobs", "List jobs or show one.").add_subparsers(required=True, metavar="list|get")
    listing = _command(jobs, "list", "newest first", "List jobs, newest first.")
    listing.add_argument("--status", help="queued, running, succeeded, failed, cancelled (comma-separated)")
    listing.add_argument("--pipeline", help="pipeline id or name")
    listing.add_argument("--limit", type=_positive, default=50, help="at most this many jobs (default 50)")
    listing.add_argument("--json", action="store_true", help="one JSON job object per line")
    listing.set_defaults(handler=_jobs_list)
    get = _command(jobs, "get", "one job as JSON", "Print one job as JSON.")
    get.add_argument("job_id", metavar="ID")
    get.set_defaults(handler=_jobs_get)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    handler: Callable[[DocpipeClient, Any], int] = args.handler
    try:
        client = DocpipeClient(args.url, args.api_key)
    except ValueError as exc:  # a URL that is not http(s)
        return _fail(EXIT_USAGE, str(exc))
    try:
        with client:
            return handler(client, args)
    except UsageError as exc:
        return _fail(EXIT_USAGE, str(exc))
    except AuthError as exc:
        hint = "" if args.api_key else " (no API key: set DOCPIPE_API_KEY or pass --api-key)"
        return _fail(EXIT_AUTH, f"{exc}{hint}")
    except WaitTimeout as exc:
        return _fail(EXIT_TIMEOUT, str(exc))
    except ConnectionFailed as exc:
        return _fail(EXIT_SERVER, str(exc))
    except DocpipeError as exc:
        return _fail(EXIT_SERVER if exc.status is None or exc.status >= 500 else EXIT_USAGE, str(exc))
    except OSError as exc:  # a file that cannot be read or written
        return _fail(EXIT_USAGE, str(exc))
    except KeyboardInterrupt:
        return _fail(130, "interrupted")


def _fail(code: int, message: str) -> int:
    print(f"docpipe: {message}", file=sys.stderr)
    return code


def _submit(client: DocpipeClient, args: Any) -> int:
    args.labels = dict(args.labels)
    return SubmitCommand(client, args, sys.stdout, sys.stderr).run()


def _jobs_list(client: DocpipeClient, args: Any) -> int:
    filters = {"status": args.status, "pipeline": args.pipeline}
    jobs = list(islice(client.iter_jobs(filters, page_size=min(args.limit, 500)), args.limit))
    if args.json:
        _json_lines(jobs)
        return EXIT_OK
    rows = [
        [job["id"], job["status"], job["pipeline"]["name"], job["created_at"], job.get("filename") or ""]
        for job in jobs
    ]
    _table(["ID", "STATUS", "PIPELINE", "CREATED", "FILE"], rows)
    return EXIT_OK


def _jobs_get(client: DocpipeClient, args: Any) -> int:
    print(json.dumps(client.get_job(args.job_id), ensure_ascii=False, indent=2))
    return EXIT_OK


def _result(client: DocpipeClient, args: Any) -> int:
    try:
        result = fetch_result(client, args.job_id, args.format)
    except DocpipeError as exc:
        if exc.status != 409:
            raise
        # The job exists but has no result (it failed, was cancelled or has not finished), or no chunks.
        return _fail(EXIT_FAILED, str(exc))
    if args.output:
        Path(args.output).write_text(result, encoding="utf-8", newline="")
    else:
        sys.stdout.write(result)
    return EXIT_OK


def _pipelines_list(client: DocpipeClient, args: Any) -> int:
    pipelines = client.list_pipelines()
    if args.json:
        _json_lines(pipelines)
        return EXIT_OK
    rows = [[p["name"], str(p.get("version", "")), p["id"], p.get("description") or ""] for p in pipelines]
    _table(["NAME", "VERSION", "ID", "DESCRIPTION"], rows)
    return EXIT_OK


def _json_lines(items: list[dict[str, Any]]) -> None:
    for item in items:
        print(json.dumps(item, ensure_ascii=False))


def _table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


if __name__ == "__main__":
    sys.exit(main())
