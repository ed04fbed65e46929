#!/usr/bin/env bash
# Install the Debian packages a step needs, only when they are missing.
#   python: venv support for the system Python
#   test:   PostgreSQL and Redis (the tests start and stop their own throw-away servers) and Chromium
#           (the browser tests drive Debian's chromium with Playwright; no browser download)
set -euo pipefail

missing=()
case "${1:-}" in
  python)
    python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
    ;;
  test)
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing+=(postgresql)
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    ;;
  *)
    echo "usage: $0 python|test" >&2
    exit 2
    ;;
esac

[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${missing[@]}"
# Debian starts the packaged servers on install; the tests run their own, so leave them off.
if [[ " ${missing[*]} " == *" postgresql "* ]]; then
  $sudo service postgresql stop >/dev/null 2>&1 || true
fi
if [[ " ${missing[*]} " == *" redis-server "* ]]; then
  $sudo service redis-server stop >/dev/null 2>&1 || true
fi
