#!/usr/bin/env bash
# make demo: a server with demo users on loopback, and a connector syncing
# from it.  Starts atriumd on a free port with users alice and bob, fills
# alice's address book from one device, syncs a second device ("laptop")
# and shows what it fetched; then alice invites bob to a meeting and hands
# him a task, bob answers from his own device, and alice sees his answers,
# his progress and their free/busy.  Keeps the server in the foreground
# until Ctrl-C.  DEMO_NO_WAIT=1 stops the server at the end instead (for scripts).
set -euo pipefail
cd "$(dirname "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")")"

ATRIUMD=${ATRIUMD:-$PWD/build/atriumd}
ATRIUM=${ATRIUM:-$PWD/build/atrium}
DEMO=${DEMO_DIR:-$PWD/demo-data}
PASSWORD='Demo-Pass-2026'
# everyone of the demo lives in Paris: times are shown in that zone
export TZ=Europe/Paris

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"

rm -rf "$DEMO"
mkdir -p "$DEMO"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "creating users alice and bob in $DEMO/server"
echo "$PASSWORD" | "$ATRIUMD" user add alice --name "Alice Martin" --email alice@example.org \
    --data "$DEMO/server" --password-stdin
echo "$PASSWORD" | "$ATRIUMD" user add bob --name "Bob Dupont" --email bob@example.org \
    --data "$DEMO/server" --password-stdin

say "starting atriumd on $url"
"$ATRIUMD" serve --data "$DEMO/server" --listen "127.0.0.1:$port" 2>"$DEMO/atriumd.log" &
server=$!
stop() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
trap stop EXIT
for _ in $(seq 50); do
    curl -s -o /dev/null "$url/api/session" && break
    sleep 0.1
done

desk=(--home "$DEMO/desktop")
laptop=(--home "$DEMO/laptop")
echo "$PASSWORD" | "$ATRIUM" "${desk[@]}" profile add work --server "$url" --user alice --password-stdin
echo "$PASSWORD" | "$ATRIUM" "${laptop[@]}" profile add work --server "$url" --user alice --password-stdin

say "alice's desktop adds contacts offline, then syncs"
"$ATRIUM" "${desk[@]}" sync >/dev/null
"$ATRIUM" "${desk[@]}" contacts add --first-name Ada --last-name Lovelace --company "Analytical Engines" \
    --email1 ada@example.org --phone-business "+44 20 7946 0001" >/dev/null
"$ATRIUM" "${desk[@]}" contacts add --first-name Grace --last-name Hopper --job-title "Rear Admiral" \
    --email1 grace@example.org --phone-mobile "+1 202 555 0142" --categories "Navy,Compilers" >/dev/null
"$ATRIUM" "${desk[@]}" contacts add --first-name Jean --last-name Bartik --company ENIAC \
    --business-city Philadelphia --birthday 1924-12-27 >/dev/null
"$ATRIUM" "${desk[@]}" status
"$ATRIUM" "${desk[@]}" sync

say "alice's laptop syncs and shows what it fetched"
"$ATRIUM" "${laptop[@]}" sync
"$ATRIUM" "${laptop[@]}" contacts list

# the last line of a command's output (the id an add prints)
last() { tail -n 1; }
# a member of the first object of a JSON list on stdin
first() { /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[0][sys.argv[1]])' "$1"; }

bobs=(--home "$DEMO/bob")
echo "$PASSWORD" | "$ATRIUM" "${bobs[@]}" profile add work --server "$url" --user bob --password-stdin
"$ATRIUM" "${bobs[@]}" sync >/dev/null

say "alice invites bob to a meeting and hands him a task, offline, then syncs"
meeting=$("$ATRIUM" "${desk[@]}" calendar add --subject "Budget review" \
    --start "2030-03-04 10:00" --end "2030-03-04 11:00" --participant bob \
    --location "Room 2" | last)
task=$("$ATRIUM" "${desk[@]}" tasks add --subject "Quarterly report" --due 2030-03-08 \
    --priority high | last)
"$ATRIUM" "${desk[@]}" task delegate "$task" bob >/dev/null
"$ATRIUM" "${desk[@]}" sync

say "bob syncs: the invitation and the task are in his own calendar and tasks"
"$ATRIUM" "${bobs[@]}" sync >/dev/null
"$ATRIUM" "${bobs[@]}" invite list
"$ATRIUM" "${bobs[@]}" tasks list
invitation=$("$ATRIUM" "${bobs[@]}" invite list --json | first id)
copy=$("$ATRIUM" "${bobs[@]}" tasks list --json | first id)
"$ATRIUM" "${bobs[@]}" invite respond "$invitation" accept --comment "I'll bring the figures"
"$ATRIUM" "${bobs[@]}" task respond "$copy" accept
"$ATRIUM" "${bobs[@]}" tasks edit "$copy" --status inProgress --percent 40 >/dev/null
"$ATRIUM" "${bobs[@]}" sync

say "alice syncs and sees bob's answers and progress, and when both are busy"
"$ATRIUM" "${desk[@]}" sync >/dev/null
"$ATRIUM" "${desk[@]}" calendar show "$meeting" | grep '^participants' || true
"$ATRIUM" "${desk[@]}" tasks show "$task" | grep -A1 '^assignee' || true
"$ATRIUM" "${desk[@]}" freebusy alice bob --from 2030-03-04 --to 2030-03-04

say "try next"
cat <<EOT
  server:    $url   (log: $DEMO/atriumd.log)
  users:     alice, bob   password: $PASSWORD

  $ATRIUM --home $DEMO/laptop contacts show ID
  $ATRIUM --home $DEMO/laptop contacts edit ID --job-title "Countess"
  $ATRIUM --home $DEMO/laptop sync
  $ATRIUM --home $DEMO/desktop sync && $ATRIUM --home $DEMO/desktop contacts list
  $ATRIUM --home $DEMO/desktop contacts add --help
  $ATRIUM --home $DEMO/desktop status
  $ATRIUM --home $DEMO/bob calendar list --from 2030-03-01 --to 2030-03-31
  $ATRIUM --home $DEMO/desktop tasks show $task
EOT

if [ "${DEMO_NO_WAIT:-0}" = 1 ]; then
    exit 0
fi
say "atriumd keeps running; Ctrl-C stops it"
wait "$server"
