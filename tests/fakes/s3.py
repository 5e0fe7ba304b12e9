"""An S3-compatible object store on 127.0.0.1: moto's server mode, which boto3 talks to.

`with FakeS3() as s3:` then `s3.env` holds the AWS_* variables that point boto3 (in this process
or a server process) at it, and `s3.bucket()` makes a fresh bucket.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from moto.server import ThreadedMotoServer

from tests.harness import free_port


class FakeS3:
    def __init__(self) -> None:
        self.port = free_port()
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_S3": self.url,
        }

    def __enter__(self) -> FakeS3:
        self.server.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.server.stop()

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )

    def bucket(self) -> str:
        name = f"inbox-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> list[str]:
        answer = self.client().list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in answer.get("Contents", ()))


@contextmanager
def s3_environment(monkeypatch) -> Iterator[FakeS3]:
    """A running fake S3 with this process's AWS_* variables pointed at it."""
    with FakeS3() as fake:
        for name in [n for n in os.environ if n.startswith("AWS_")]:
            monkeypatch.delenv(name)
        for name, value in fake.env.items():
            monkeypatch.setenv(name, value)
        yield fake
