#!/usr/bin/env bash
# Real curl is the oracle of the wire tests (tests/wire: what httptool sends is compared with
# what curl sends, byte for byte): install the Debian package when missing and we may (root
# with apt-get). Never fails the test command: without curl those tests are skipped and say why.
if command -v curl >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing curl (Debian package curl) for the wire tests"
  (apt-get install -y -q curl >/tmp/httptool-curl-install.log 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && \
         apt-get install -y -q curl >/tmp/httptool-curl-install.log 2>&1; }) \
    || echo "could not install curl (see /tmp/httptool-curl-install.log); the wire tests will be skipped"
else
  echo "curl is not installed and this is not a root Debian shell; the wire tests will be skipped"
fi
exit 0
