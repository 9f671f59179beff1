#!/usr/bin/env bash
# Headless Chromium for the HTML report test (tests/report/test_html_browser.py); without it
# that one test is skipped and says why.
exec bash "$(dirname "$0")/ensure-package.sh" chromium "the HTML report browser test" \
  chromium chromium-driver
