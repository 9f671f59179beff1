#!/usr/bin/env bash
# A real Prometheus for the --out prometheus test (tests/live/test_prometheus_real.py);
# without it that one test is skipped and says why.
exec bash "$(dirname "$0")/ensure-package.sh" prometheus "the Prometheus output test" prometheus
