"""Where media files live: a local directory (the default) or an S3-compatible object store.

`INBOX_MEDIA_URL=s3://bucket/prefix` puts them in the bucket (through boto3, so its usual
settings apply: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_DEFAULT_REGION`,
`AWS_ENDPOINT_URL_S3` for a store other than Amazon's); several server machines then share one
store. Keys are the relative paths kept in the `media` table (`FIRM/SHA256.ext`, so an object
never changes once written) and `simulator/NAME` for the simulator's uploads.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from starlette.responses import FileResponse, Response

from inbox_app.server.config import Settings
from inbox_app.server.errors import NotFound

# Probes are named `PROBE_KEY-<random>`: several servers starting at once on one store each
# check their own file, none deleting another's before it is read back.
PROBE_KEY = ".inbox-check-probe"
MISSING = "This image's file is missing from the media store."


class MediaStore(Protocol):
    def describe(self) -> str: ...
    def stored_keys(self) -> Iterator[str]: ...
    def is_empty(self) -> bool: ...
    def exists(self, key: str) -> bool: ...
    def read(self, key: str) -> bytes: ...
    def copy_to(self, key: str, target: Path) -> None: ...
    def write(self, key: str, data: bytes) -> None: ...
    def delete(self, key: str) -> None: ...
    def probe(self) -> str: ...
    def response(self, key: str, media_type: str, headers: Mapping[str, str]) -> Response: ...


@dataclass(frozen=True)
class StoredFile:
    """One file of a store, answered to a client by `response()`."""

    store: MediaStore
    key: str

    def response(self, media_type: str, headers: Mapping[str, str]) -> Response:
        return self.store.response(self.key, media_type, headers)


class LocalStore:
    """Files under one directory; writes are atomic (temp file, fsync, rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def describe(self) -> str:
        return f"directory {self.root}"

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"media key {key!r} leaves the media directory")
        return path

    def stored_keys(self) -> Iterator[str]:
        """Every stored file's key, sorted; temp files of writes in progress are left out."""
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.startswith((".incoming-", PROBE_KEY)):
                yield path.relative_to(self.root).as_posix()

    def is_empty(self) -> bool:
        return next(self.stored_keys(), None) is None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def response(self, key: str, media_type: str, headers: Mapping[str, str]) -> Response:
        path = self._path(key)
        if not path.is_file():
            raise NotFound(MISSING)
        return FileResponse(path, media_type=media_type, headers=dict(headers))

    def copy_to(self, key: str, target: Path) -> None:
        shutil.copyfile(self._path(key), target)

    def write(self, key: str, data: bytes) -> None:
        target = self._path(key)
        if target.exists():
            return  # content-addressed: same name, same bytes
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def probe(self) -> str:
        """Write, read back and delete a small file; the description says how much room is left."""
        self.root.mkdir(parents=True, exist_ok=True)
        probe = self.root / _probe_key()
        probe.write_bytes(b"ok")
        try:
            if probe.read_bytes() != b"ok":
                raise OSError("a file written could not be read back")
        finally:
            probe.unlink(missing_ok=True)
        free = shutil.disk_usage(self.root).free
        return f"{self.describe()} is writable ({free / 1e9:.1f} GB free)"


class S3Store:
    """Objects under `prefix/` in one bucket; a put is atomic, so no temp names are needed."""

    def __init__(self, bucket: str, prefix: str) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        # Bounded waits: a store that does not answer fails the request, it does not hang it.
        config = Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3})
        self.client = boto3.client("s3", config=config)

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    def _key(self, key: str) -> str:
        if key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"media key {key!r} leaves the media store")
        return f"{self.prefix}/{key}" if self.prefix else key

    def stored_keys(self) -> Iterator[str]:
        start = f"{self.prefix}/" if self.prefix else ""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=start
        )
        # S3 lists keys in order, a page (1,000) at a time: memory stays bounded.
        for page in pages:
            for item in page.get("Contents", ()):
                key = item["Key"][len(start) :]
                if key and not key.startswith(PROBE_KEY):
                    yield key

    def is_empty(self) -> bool:
        return next(self.stored_keys(), None) is None

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def read(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise FileNotFoundError(key) from None
            raise
        return answer["Body"].read()

    def copy_to(self, key: str, target: Path) -> None:
        target.write_bytes(self.read(key))

    def write(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def response(self, key: str, media_type: str, headers: Mapping[str, str]) -> Response:
        # Media are at most a few megabytes (MAX_BYTES), so one read is bounded.
        try:
            data = self.read(key)
        except FileNotFoundError:
            raise NotFound(MISSING) from None
        return Response(data, media_type=media_type, headers=dict(headers))

    def probe(self) -> str:
        key = _probe_key()
        self.write(key, b"ok")
        try:
            if self.read(key) != b"ok":
                raise OSError("an object written could not be read back")
        finally:
            self.delete(key)
        return f"{self.describe()} is writable"


def _probe_key() -> str:
    return f"{PROBE_KEY}-{uuid.uuid4().hex}"


def parse_s3_url(url: str) -> tuple[str, str]:
    """s3://bucket/prefix -> (bucket, prefix)."""
    rest = url.removeprefix("s3://")
    bucket, _, prefix = rest.partition("/")
    return bucket, prefix.strip("/")


@lru_cache(maxsize=16)
def _s3_store(bucket: str, prefix: str, _endpoint: str | None) -> S3Store:
    return S3Store(bucket, prefix)


def store_for(settings: Settings) -> MediaStore:
    """The media store the settings name (one S3 client per bucket, prefix and endpoint)."""
    if settings.media_url:
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        return _s3_store(*parse_s3_url(settings.media_url), endpoint)
    return LocalStore(settings.effective_media_dir)
