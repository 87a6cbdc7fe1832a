"""The shot pass's 9:16 crop kept on the media worker's disk, so the clips cut on that host copy from a local file.

Storage stays the source of truth: the crop is uploaded first, and a cut on any other worker (or after this one's
copy is gone) reads it from there as before. Reading it back cost each 9:16 clip its own size again through
storage (~16 MB for a 20 s clip of a grainy 1080p source): on a small host that serves its own storage, a sixth of
the clip stage's CPU; against R2, the round trips. A kept crop is named by the pass's random crop id, which
shots.json carries: a retried pass writes a new crop under a new id, so a clip never copies from a crop its
shots.json does not describe. The cache is bounded by bytes and by age, the oldest going first.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)

MAX_AGE_S = 3600.0  # a pass's clips follow it within seconds; a cut retried later reads the stored crop
_CROP_ID = re.compile(r"^[0-9a-f]{32}$")  # uuid4().hex: shots.json is read back from storage, never a path


class CropCache:
    """Crops by id in one private directory: kept after their upload, hard-linked into a cut's working folder."""

    def __init__(self, root: Path, max_bytes: int):
        self.root, self.max_bytes = root, max_bytes

    @classmethod
    def in_temp_dir(cls, max_bytes: int) -> CropCache | None:
        """This user's cache under the temp directory; None when turned off or the directory is not safely ours."""
        if max_bytes <= 0:
            return None
        root = Path(tempfile.gettempdir()) / f"ugc-crops-{os.getuid()}"
        try:
            root.mkdir(mode=0o700, exist_ok=True)
            found = root.lstat()
        except OSError as exc:
            log.warning("no local crop cache (%s): clips read the stored crop", exc)
            return None
        # another user's directory (or a link to one) under a shared /tmp would let them swap a crop
        if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.getuid() or found.st_mode & 0o077:
            log.warning("no local crop cache: %s is not a private directory of this user", root)
            return None
        return cls(root, max_bytes)

    def keep(self, crop_id: str, path: Path) -> None:
        """Move a stored crop into the cache (same filesystem: a rename), then drop what is over the bounds."""
        if not _CROP_ID.match(crop_id):
            return
        try:
            os.replace(path, self.root / f"{crop_id}.mp4")
        except OSError:  # another filesystem, or the disk is full: the clips read the stored crop
            return
        self._trim()

    def link(self, crop_id: str, dest: Path) -> Path | None:
        """The kept crop linked at dest (the link keeps it readable even if the cache drops it meanwhile); None
        when this host does not have it."""
        if not _CROP_ID.match(crop_id):
            return None
        try:
            os.link(self.root / f"{crop_id}.mp4", dest)
        except OSError:
            return None
        return dest

    def _trim(self) -> None:
        """Newest first, keep each crop that still fits in max_bytes and is younger than MAX_AGE_S."""
        entries = []
        for path in self.root.glob("*.mp4"):
            try:
                found = path.stat()
            except OSError:  # dropped by another activity meanwhile
                continue
            entries.append((found.st_mtime, found.st_size, path))
        used, now = 0, time.time()
        for mtime, size, path in sorted(entries, reverse=True):
            if used + size > self.max_bytes or now - mtime > MAX_AGE_S:
                path.unlink(missing_ok=True)
            else:
                used += size
