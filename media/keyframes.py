"""Which of an H.264 source's keyframes a copy may open on: IDR pictures, after which nothing refers back."""

from __future__ import annotations

IDR_NAL = 5


def nal_length_size(extradata: bytes | None) -> int | None:
    """Bytes of each NAL unit's length prefix from an avcC record; None for Annex B or no record."""
    # avcC: version 1, profile, compatibility, level, then 6 reserved bits and lengthSizeMinusOne
    if not extradata or len(extradata) < 5 or extradata[0] != 1:
        return None
    return (extradata[4] & 0x03) + 1


def is_idr(data: bytes, length_size: int) -> bool:
    """Whether a length-prefixed access unit holds an IDR slice (an open-GOP I picture does not)."""
    at = 0
    while at + length_size < len(data):
        size = int.from_bytes(data[at : at + length_size], "big")
        if data[at + length_size] & 0x1F == IDR_NAL:
            return True
        at += length_size + size
    return False
