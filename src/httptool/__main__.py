"""``python -m httptool``."""

from __future__ import annotations

from httptool.cli import main

if __name__ == "__main__":
    main()
