#!/usr/bin/env bash
# Prove the README's `make run` path end to end: SQLite migrate, serve, POST the seed example.
set -euo pipefail
cd "$(dirname "$0")/.."
unset DATABASE_URL
rm -f db.sqlite3 db.sqlite3-wal db.sqlite3-shm
log=$(mktemp)
setsid make run >"$log" 2>&1 </dev/null &
pid=$!
trap 'kill -- -"$pid" 2>/dev/null || true' EXIT

for _ in $(seq 1 180); do
  if curl -fsS -o /dev/null http://127.0.0.1:8000/contact/ 2>/dev/null; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then echo "make run exited early:"; cat "$log"; exit 1; fi
  sleep 1
done

response=$(curl -sS -w '\n%{http_code}' -X POST -H 'Content-Type: application/json' \
  --data @.ci/seed-full.json http://127.0.0.1:8000/api/contacts/append-or-create/)
status=$(tail -n1 <<<"$response")
body=$(head -n1 <<<"$response")
echo "make run smoke: POST seed example -> $status $body"
grep -q "Admin created" "$log" || { echo "make run did not print how to log in to admin"; cat "$log"; exit 1; }
[ "$status" = "201" ] && grep -q '"contactId":"[0-9a-f-]\{36\}"' <<<"$body" || { cat "$log"; exit 1; }
