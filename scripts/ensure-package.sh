#!/usr/bin/env bash
# ensure-package.sh COMMAND WHAT PACKAGE...: when COMMAND is missing, install the Debian
# PACKAGEs if we may (root with apt-get), for WHAT (the tests that need it). Never fails the
# test command: without COMMAND, WHAT is skipped and says why. The ensure-*.sh scripts that
# `make test` calls name what each tool is for.
cmd=$1
what=$2
shift 2
if command -v "$cmd" >/dev/null 2>&1; then
  exit 0
fi
log="/tmp/httptool-$cmd-install.log"
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing $cmd (Debian packages: $*) for $what"
  (apt-get install -y -q "$@" >"$log" 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "$@" >"$log" 2>&1; }) \
    || echo "could not install $cmd (see $log); $what will be skipped"
else
  echo "$cmd is not installed and this is not a root Debian shell; $what will be skipped"
fi
exit 0
