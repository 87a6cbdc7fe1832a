"""StorageActivities: fetch a video from a URL into the bucket, publish, delete — idempotent by key."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

import httpx
from botocore.exceptions import ClientError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.errors import typed_failures
from domain.failures import InvalidSource, InvalidVideo, SourceUnavailable, too_large
from models.schemas.common import Done
from models.schemas.media import DeleteObjectsInput, FetchVideoInput, PublishObjectInput, StoredObject
from storage.keys import OCTET_STREAM
from storage.objects import ObjectRef, SizeLimitExceeded, stream_to_object
from storage.url_fetch import UrlRefused, UrlUnreachable, open_url
from telemetry.metrics import BYTES_MOVED

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

READ_CHUNK_BYTES = 256 * 1024  # small reads: the part being assembled is the only large buffer
# a 4xx other than these means the URL itself is wrong: retrying cannot help
RETRYABLE_CLIENT_STATUSES = {408, 425, 429}


class StorageActivities:
    """Object storage work; the S3 and HTTP clients are built once by the worker and injected.

    `http` is a storage.url_fetch.make_client client; `allowed_hosts` may resolve to private addresses
    (URL_FETCH_ALLOWED_HOSTS: tests and the dev stack), every other host only to public ones.
    """

    def __init__(
        self,
        s3: S3Client,
        http: httpx.AsyncClient,
        part_bytes: int,
        *,
        allowed_hosts: Collection[str] = frozenset(),
        max_redirects: int = 5,
    ):
        self.s3 = s3
        self.http = http
        self.part_bytes = part_bytes
        self.allowed_hosts = frozenset(allowed_hosts)
        self.max_redirects = max_redirects

    @activity.defn
    @typed_failures
    async def fetch_video(self, params: FetchVideoInput) -> StoredObject:
        """Stream an http(s) URL into the bucket (multipart, hashed on the way), within the size limit."""
        dest = ObjectRef.parse(params.dest_key)
        try:
            async with open_url(
                self.http, params.url, allowed_hosts=self.allowed_hosts, max_redirects=self.max_redirects
            ) as response:
                _check_response(response, params.max_bytes)
                result = await stream_to_object(
                    self.s3,
                    dest,
                    response.aiter_bytes(READ_CHUNK_BYTES),
                    max_bytes=params.max_bytes,
                    part_bytes=self.part_bytes,
                    # the origin's Content-Type is not trusted: the probe decides the type at publish time
                    content_type=OCTET_STREAM,
                    on_part=lambda done: activity.heartbeat(done),
                )
        except SizeLimitExceeded:
            raise too_large(params.max_bytes) from None
        except UrlRefused as exc:
            raise InvalidSource(str(exc)) from None
        except UrlUnreachable as exc:
            raise SourceUnavailable(f"{exc}; will retry") from None
        if result.size_bytes == 0:
            await self.s3.delete_object(Bucket=dest.bucket, Key=dest.key)
            raise InvalidVideo("the video file is empty")
        BYTES_MOVED.add(result.size_bytes, path="url_fetch")
        return StoredObject(key=str(dest), sha256=result.sha256, size_bytes=result.size_bytes)

    @activity.defn
    @typed_failures
    async def publish_object(self, params: PublishObjectInput) -> Done:
        """Server-side copy with new metadata, then drop the source; a retry after the drop is a no-op."""
        source, dest = ObjectRef.parse(params.source_key), ObjectRef.parse(params.dest_key)
        try:
            await self.s3.copy_object(
                Bucket=dest.bucket,
                Key=dest.key,
                CopySource={"Bucket": source.bucket, "Key": source.key},
                Metadata=params.metadata,
                MetadataDirective="REPLACE",
                ContentType=params.content_type,
            )
        except ClientError as exc:
            if _error_code(exc) not in {"NoSuchKey", "404"} or not await self._exists(dest):
                raise
        await self.s3.delete_object(Bucket=source.bucket, Key=source.key)
        return Done()

    @activity.defn
    @typed_failures
    async def delete_objects(self, params: DeleteObjectsInput) -> Done:
        """Delete objects, and any upload of one left unfinished (a worker killed mid-upload, such as the shot
        pass's crop stored while it is written, leaves its parts taking space); a missing one is the wanted state."""
        for key in params.keys:
            ref = ObjectRef.parse(key)
            await self.s3.delete_object(Bucket=ref.bucket, Key=ref.key)
            unfinished = await self.s3.list_multipart_uploads(Bucket=ref.bucket, Prefix=ref.key)
            for upload in unfinished.get("Uploads", []):
                if upload.get("Key") == ref.key:  # the prefix also matches longer keys
                    await self.s3.abort_multipart_upload(Bucket=ref.bucket, Key=ref.key, UploadId=upload["UploadId"])
        return Done()

    async def _exists(self, ref: ObjectRef) -> bool:
        try:
            await self.s3.head_object(Bucket=ref.bucket, Key=ref.key)
        except ClientError:
            return False
        return True


def _check_response(response: httpx.Response, max_bytes: int) -> None:
    status = response.status_code
    if 400 <= status < 500 and status not in RETRYABLE_CLIENT_STATUSES:
        raise InvalidSource(f"the video URL answered HTTP {status}")
    if status >= 400:
        raise ApplicationError(f"the video URL answered HTTP {status}; will retry")
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise too_large(max_bytes)


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
