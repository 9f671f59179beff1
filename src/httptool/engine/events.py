"""Kept for imports written before the events contract and the masking rule moved to
neutral modules: :mod:`httptool.events` (shapes) and :mod:`httptool.secrets` (masking)."""

from __future__ import annotations

from httptool.events import ITERATION, REQUEST, RESENT, VU_DONE, VU_START, Emit, Event
from httptool.secrets import MASK, SECRET_HEADERS, mask_cookies, mask_header, mask_url

__all__ = ["ITERATION", "MASK", "REQUEST", "RESENT", "SECRET_HEADERS", "VU_DONE", "VU_START",
           "Emit", "Event", "mask_cookies", "mask_header", "mask_url"]
