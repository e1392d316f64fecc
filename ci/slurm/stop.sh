#!/usr/bin/env bash
# Stops the single-node Slurm cluster that ci/slurm/start.sh started: cancels every job,
# asks slurmctld to shut the cluster down, then stops the daemons by pid (TERM, then KILL).
# Leaves $IDIM_SLURM_DIR (config and logs) in place; pass --clean to delete it too.
set -euo pipefail

dir="${IDIM_SLURM_DIR:-/tmp/idim-slurm}"
clean=0
[[ "${1:-}" == "--clean" ]] && clean=1

log() { echo "slurm/stop: $*" >&2; }

# Waits for the process in pid file $1 to exit: after $2 tenths of a second it sends TERM, after
# 5 s KILL.
stop_pid_file() {
  local file="$1" grace="$2" pid i
  [[ -s "$file" ]] || return 0
  pid="$(cat "$file")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  for i in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || {
      rm -f "$file"
      return 0
    }
    ((i == grace)) && kill -TERM "$pid" 2>/dev/null
    sleep 0.1
  done
  log "pid $pid ($(basename "$file" .pid)) did not stop; killing it"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$file"
}

if [[ -f "$dir/slurm.conf" ]]; then
  export SLURM_CONF="$dir/slurm.conf"
  # Both may fail when the controller is already gone; the pids below still get stopped.
  timeout 10 scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
  timeout 10 scontrol shutdown 2>/dev/null || true
fi
stop_pid_file "$dir/run/slurmd.pid" 20
stop_pid_file "$dir/run/slurmctld.pid" 20
stop_pid_file "$dir/run/munged.pid" 1
if ((clean)); then
  rm -rf "$dir"
  log "stopped; removed $dir"
else
  log "stopped; logs kept in $dir/log"
fi
