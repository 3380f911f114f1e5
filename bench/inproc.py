"""One in-process extraction worker for bench/overhead.py: warms up, waits for "go", extracts its files.

Started as ``python -c "...; import inproc; inproc.serve()"`` so the sandbox's children do not re-run a main
script. Reads {"mode": "extract"|"pipeline", "files": [...]} as one JSON line, prints "ready", waits for a
line, then prints {"started": t0, "finished": t1, "ms": [...]} (time.time() seconds, per-document ms).
"""

from __future__ import annotations

import json
import sys
import time
from hashlib import sha256
from pathlib import Path


def serve() -> None:
    from webapp.pipeline.config import default_stages
    from webapp.pipeline.document import Source
    from webapp.pipeline.runner import run_pipeline
    from webapp.services.extract import extract_file

    request = json.loads(sys.stdin.readline())
    files = [Path(name) for name in request["files"]]
    stages = default_stages()

    sources = {}
    for path in files:
        data = path.read_bytes()
        sources[path] = Source(path=path, filename=path.name, size_bytes=len(data), sha256=sha256(data).hexdigest())

    def run(path: Path) -> None:
        if request["mode"] == "extract":
            extract_file(path, stages)  # what the extract command does: hash the file, run it in the sandbox
        else:
            run_pipeline(sources[path], stages)  # the stages alone, in this process

    for path in dict.fromkeys(files):  # each distinct file once: imports, caches, the sandbox's children
        run(path)
    print("ready", flush=True)
    sys.stdin.readline()
    started, per_doc = time.time(), []
    for path in files:
        t0 = time.perf_counter()
        run(path)
        per_doc.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"started": started, "finished": time.time(), "ms": per_doc}), flush=True)
