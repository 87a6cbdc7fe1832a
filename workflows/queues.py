"""Task queue names, shared by workflows, the worker and clients (no side effects to import)."""

TASK_QUEUE_MAIN = "ugc-main"  # workflows and I/O activities
TASK_QUEUE_MEDIA = "ugc-media"  # CPU-bound FFmpeg work, concurrency = CPU count
