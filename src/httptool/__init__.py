"""httptool: run user journeys written as curl commands, under load."""

from __future__ import annotations

__version__ = "0.1.0"
