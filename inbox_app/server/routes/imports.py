"""Importing a file of clients and court dates: one request, one transaction, a per-row report.

With `Accept: application/x-ndjson` the answer streams: progress lines while the server works,
then the report (or the error) as the last line, so a desktop can show a real progress bar.
"""

from __future__ import annotations

import asyncio
import json

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from inbox_app.models.schemas import ImportIn, ImportReport
from inbox_app.server.deps import CurrentUser
from inbox_app.server.errors import InboxError
from inbox_app.server.services import imports

router = APIRouter(tags=["import"])

NDJSON = "application/x-ndjson"


@router.post("/import")
async def import_file(body: ImportIn, user: CurrentUser, request: Request) -> ImportReport:
    """Check (`dry_run`) or import the rows; rejected rows are listed with their errors."""
    sessionmaker = request.app.state.sessionmaker

    def run(progress=imports._no_progress) -> ImportReport:
        with sessionmaker() as session:
            return imports.import_file(session, user, body, progress)

    if NDJSON not in request.headers.get("accept", ""):
        return await run_in_threadpool(run)
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[bytes | None] = asyncio.Queue()

    def say(payload: dict) -> None:
        loop.call_soon_threadsafe(lines.put_nowait, (json.dumps(payload) + "\n").encode())

    def work() -> None:
        try:
            report = run(lambda stage, done: say({"stage": stage, "done": round(done, 3)}))
            # Serialized by pydantic in one pass (a report lists every row of the file).
            line = b'{"report": ' + report.model_dump_json().encode() + b"}\n"
            loop.call_soon_threadsafe(lines.put_nowait, line)
        except InboxError as error:
            say({"error": {"detail": error.message, "code": error.code, "status": error.status}})
        except Exception:
            say({"error": {"detail": "The import failed on the server.", "code": "internal"}})
            raise
        finally:
            loop.call_soon_threadsafe(lines.put_nowait, None)

    task = loop.run_in_executor(None, work)

    async def stream():
        yield (json.dumps({"stage": "checking", "done": 0}) + "\n").encode()
        while (line := await lines.get()) is not None:
            yield line
        await task

    return StreamingResponse(stream(), media_type=NDJSON)
