"""``python -m httptool``."""

from __future__ import annotations

import sys

try:
    from httptool.cli import main
except KeyboardInterrupt:  # Ctrl-C while Python loads the tool (~0.3 s): nothing ran yet
    print("httptool: interrupted (Ctrl-C)", file=sys.stderr)
    sys.exit(130)

if __name__ == "__main__":
    main()
