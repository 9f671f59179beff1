#!/usr/bin/env bash
# A real Prometheus for the --out prometheus test (tests/live/test_prometheus_real.py): install
# the Debian package when missing and we may (root with apt-get). Never fails the test
# command: without prometheus that one test is skipped and says why.
if command -v prometheus >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing prometheus (Debian package prometheus) for the Prometheus output test"
  (apt-get install -y -q prometheus >/tmp/httptool-prometheus-install.log 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && \
         apt-get install -y -q prometheus >/tmp/httptool-prometheus-install.log 2>&1; }) \
    || echo "could not install prometheus (see /tmp/httptool-prometheus-install.log); the Prometheus test will be skipped"
else
  echo "prometheus is not installed and this is not a root Debian shell; the Prometheus test will be skipped"
fi
exit 0
