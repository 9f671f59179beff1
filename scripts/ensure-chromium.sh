#!/usr/bin/env bash
# Headless Chromium for the HTML report test (tests/report/test_html_browser.py): install
# the Debian packages when missing and we may (root with apt-get). Never fails the test
# command: without Chromium that one test is skipped and says why.
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing chromium (Debian packages chromium, chromium-driver) for the HTML report test"
  (apt-get install -y -q chromium chromium-driver >/tmp/httptool-chromium-install.log 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && \
         apt-get install -y -q chromium chromium-driver >/tmp/httptool-chromium-install.log 2>&1; }) \
    || echo "could not install chromium (see /tmp/httptool-chromium-install.log); the browser test will be skipped"
else
  echo "chromium is not installed and this is not a root Debian shell; the browser test will be skipped"
fi
exit 0
