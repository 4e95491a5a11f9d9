#!/bin/bash
# Repro: while `workdeck serve` owns the database, a window started at login
# (`workdeck --hidden`) sits in the modal "take over?" prompt and ignores SIGTERM/SIGINT
# (QApplication.quit() does nothing before app.exec(): the prompt's loop is the only one).
# Expected: SIGTERM ends it (exit 0, serve left running). Seen: it runs on until SIGKILL.
set -u
T=$(mktemp -d); export QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR=$T/rt; mkdir -m700 $T/rt
W="${PYTHON:-/work/main/.venv/bin/python} -m ui.cli --db $T/t.db"
$W serve 2>/dev/null & S=$!; sleep 2
$W --hidden 2>/dev/null & G=$!; sleep 4
kill -TERM $G; sleep 3
if kill -0 $G 2>/dev/null; then echo "DEFECT: the window ignored SIGTERM"; kill -KILL $G; else wait $G; echo "ok: exit $?"; fi
kill -TERM $S; wait $S; rm -rf $T
