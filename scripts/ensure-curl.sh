#!/usr/bin/env bash
# Real curl is the oracle of the wire tests (tests/wire: what httptool sends is compared with
# what curl sends, byte for byte); without it they are skipped and say why.
exec bash "$(dirname "$0")/ensure-package.sh" curl "the wire tests" curl
