"""Task queue names, shared by workflows, the worker and clients (no side effects to import)."""

TASK_QUEUE_MAIN = "ugc-main"  # workflows and database / API activities
TASK_QUEUE_MEDIA = "ugc-media"  # CPU-bound FFmpeg work, concurrency = CPU count
TASK_QUEUE_TRANSFER = "ugc-transfer"  # bandwidth-bound video transfers: a lean process, scaled on network

QUEUES_BY_NAME = {"main": TASK_QUEUE_MAIN, "media": TASK_QUEUE_MEDIA, "transfer": TASK_QUEUE_TRANSFER}


def parse_queues(spec: str) -> list[str]:
    """'all' or a comma list of main, media, transfer → the queue short names, validated."""
    names = (
        list(QUEUES_BY_NAME) if spec.strip() == "all" else [part.strip() for part in spec.split(",") if part.strip()]
    )
    unknown = [name for name in names if name not in QUEUES_BY_NAME]
    if unknown or not names:
        raise ValueError(
            f"unknown worker queue(s) {unknown or spec!r}: use 'all' or a comma list of main, media, transfer"
        )
    return names
