"""Presigned multipart uploads: a client PUTs the parts straight to the bucket, never through the API.

R2 (like S3) takes presigned UploadPart URLs but no POST policies, and wants every part but the last
the same size: the server fixes the part size and the number of parts when the upload starts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from storage.objects import MIN_PART_BYTES, R2_MAX_PRESIGN_SECONDS, ObjectRef

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

MAX_PARTS = 10_000  # S3's and R2's limit per multipart upload
_MIB = 1024 * 1024


@dataclass(frozen=True)
class PartPlan:
    part_size: int
    part_count: int


@dataclass(frozen=True)
class UploadedPart:
    part_number: int
    etag: str
    size: int


def plan_parts(size_bytes: int, preferred_part_bytes: int) -> PartPlan:
    """Equal parts (the last may be smaller) of at least S3's minimum, few enough for MAX_PARTS."""
    part_size = max(preferred_part_bytes, MIN_PART_BYTES, math.ceil(size_bytes / MAX_PARTS))
    part_size = math.ceil(part_size / _MIB) * _MIB
    return PartPlan(part_size=part_size, part_count=max(1, math.ceil(size_bytes / part_size)))


async def start_upload(s3: S3Client, ref: ObjectRef, content_type: str) -> str:
    """Open a multipart upload at `ref`; its UploadId."""
    created = await s3.create_multipart_upload(Bucket=ref.bucket, Key=ref.key, ContentType=content_type)
    return created["UploadId"]


async def part_urls(s3: S3Client, ref: ObjectRef, upload_id: str, part_count: int, expires: int) -> list[str]:
    """A presigned PUT (UploadPart) URL per part, numbered from 1."""
    lifetime = max(1, min(int(expires), R2_MAX_PRESIGN_SECONDS))
    return [
        await s3.generate_presigned_url(
            "upload_part",
            Params={"Bucket": ref.bucket, "Key": ref.key, "UploadId": upload_id, "PartNumber": number},
            ExpiresIn=lifetime,
        )
        for number in range(1, part_count + 1)
    ]


async def uploaded_parts(s3: S3Client, ref: ObjectRef, upload_id: str) -> list[UploadedPart]:
    """The parts the store holds for the upload (what was really sent, whatever the client says)."""
    parts: list[UploadedPart] = []
    marker = 0
    while True:
        page = await s3.list_parts(Bucket=ref.bucket, Key=ref.key, UploadId=upload_id, PartNumberMarker=marker)
        parts.extend(UploadedPart(part["PartNumber"], part["ETag"], part["Size"]) for part in page.get("Parts", []))
        if not page.get("IsTruncated"):
            return parts
        marker = int(page.get("NextPartNumberMarker", 0))


async def complete_upload(s3: S3Client, ref: ObjectRef, upload_id: str, parts: list[UploadedPart]) -> None:
    listed: Any = [{"PartNumber": part.part_number, "ETag": part.etag} for part in parts]
    await s3.complete_multipart_upload(
        Bucket=ref.bucket, Key=ref.key, UploadId=upload_id, MultipartUpload={"Parts": listed}
    )


async def abort_upload(s3: S3Client, ref: ObjectRef, upload_id: str) -> None:
    """Drop the upload and its parts; one already gone is the wanted state."""
    try:
        await s3.abort_multipart_upload(Bucket=ref.bucket, Key=ref.key, UploadId=upload_id)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in {"NoSuchUpload", "404"}:
            raise


async def read_head(s3: S3Client, ref: ObjectRef, length: int) -> bytes:
    """The object's first `length` bytes (a range GET), to judge its format."""
    answer = await s3.get_object(Bucket=ref.bucket, Key=ref.key, Range=f"bytes=0-{length - 1}")
    async with answer["Body"] as body:
        return await body.read()
