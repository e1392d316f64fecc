#!/usr/bin/env bash
# Starts a single-node Slurm cluster (munge, slurmctld, slurmd) for idim's CI and tests.
#
# Idempotent: installs Debian's slurmctld, slurmd, slurm-client and munge if missing, writes
# everything (config, state, logs, pid files, munge socket and key) under $IDIM_SLURM_DIR
# (default /tmp/idim-slurm), starts the daemons unless they already run, and waits until
# `sinfo` shows the node idle. Nothing is exported globally: the environment the clients need
# is written to $IDIM_SLURM_DIR/env; source it (`. "$IDIM_SLURM_DIR/env"`) before sbatch/sinfo.
# Stop everything with ci/slurm/stop.sh.
#
# When sourced (`source ci/slurm/start.sh`, as .ci/run does), the work runs in a child bash and
# only the variables of $IDIM_SLURM_DIR/env (SLURM_CONF, IDIM_SLURM_DIR, IDIM_SLURM_PARTITION)
# are exported into the calling shell; no functions or shell options leak into it.
#
# Environment (all optional):
#   IDIM_SLURM_DIR        working directory                       [/tmp/idim-slurm]
#   IDIM_SLURM_CPUS       CPUs the node declares                  [max(nproc, 4)]
#   IDIM_SLURM_MEM_MIB    RealMemory of the node                  [85% of `free -m` total]
#   IDIM_SLURM_PARTITION  name of the single partition            [debug]
#   IDIM_SLURM_CTLD_PORT  slurmctld port                          [6817]
#   IDIM_SLURM_SLURMD_PORT slurmd port                            [6818]
#   IDIM_SLURM_TIMEOUT_S  seconds to wait for the node to be idle [60]
if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
  # shellcheck disable=SC1091
  bash "${BASH_SOURCE[0]}" >/dev/null && . "${IDIM_SLURM_DIR:-/tmp/idim-slurm}/env"
  return $?
fi
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="${IDIM_SLURM_DIR:-/tmp/idim-slurm}"
partition="${IDIM_SLURM_PARTITION:-debug}"
ctld_port="${IDIM_SLURM_CTLD_PORT:-6817}"
slurmd_port="${IDIM_SLURM_SLURMD_PORT:-6818}"
timeout_s="${IDIM_SLURM_TIMEOUT_S:-60}"

log() { echo "slurm/start: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# Prints the pid in file $1 if that process is alive.
alive_pid() {
  local pid
  [[ -s "$1" ]] || return 1
  pid="$(cat "$1")"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

install_packages() {
  local missing=()
  command -v slurmctld >/dev/null || missing+=(slurmctld)
  command -v slurmd >/dev/null || missing+=(slurmd)
  command -v sbatch >/dev/null || missing+=(slurm-client)
  command -v munged >/dev/null || missing+=(munge)
  ((${#missing[@]} == 0)) && return 0
  [[ "$(id -u)" == 0 ]] || die "missing ${missing[*]}; install them (apt-get) or run as root"
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

write_config() {
  local host cpus mem total nproc_
  # slurmd finds its node entry by the short host name; every address is given explicitly
  # (127.0.0.1), so the name need not resolve.
  host="$(hostname -s 2>/dev/null || uname -n)"
  host="${host%%.*}"
  nproc_="$(nproc)"
  cpus="${IDIM_SLURM_CPUS:-$((nproc_ > 4 ? nproc_ : 4))}"
  # RealMemory above what slurmd finds drains the node: stay well under the machine's total.
  total="$(free -m | awk '/^Mem:/ {print $2}')"
  mem="${IDIM_SLURM_MEM_MIB:-$((total * 85 / 100))}"
  [[ "$cpus" =~ ^[1-9][0-9]*$ ]] || die "IDIM_SLURM_CPUS must be a positive integer, got '$cpus'"
  [[ "$mem" =~ ^[1-9][0-9]*$ ]] || die "IDIM_SLURM_MEM_MIB must be a positive integer, got '$mem'"
  mkdir -p "$dir"/{munge,state,spool,run,log}
  chmod 700 "$dir/munge"
  sed -e "s|@HOST@|$host|g" -e "s|@DIR@|$dir|g" -e "s|@CPUS@|$cpus|g" -e "s|@MEM@|$mem|g" \
    -e "s|@PARTITION@|$partition|g" -e "s|@CTLD_PORT@|$ctld_port|g" \
    -e "s|@SLURMD_PORT@|$slurmd_port|g" "$here/slurm.conf.in" >"$dir/slurm.conf.tmp"
  mv "$dir/slurm.conf.tmp" "$dir/slurm.conf"
  cat >"$dir/env.tmp" <<ENV
export SLURM_CONF=$dir/slurm.conf
export IDIM_SLURM_DIR=$dir
export IDIM_SLURM_PARTITION=$partition
ENV
  mv "$dir/env.tmp" "$dir/env"
}

start_munge() {
  if alive_pid "$dir/run/munged.pid" >/dev/null; then return 0; fi
  if [[ ! -s "$dir/munge/munge.key" ]]; then
    dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  fi
  chmod 400 "$dir/munge/munge.key"
  rm -f "$dir/munge/munge.socket" "$dir/munge/munge.socket.lock"
  munged --force --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/run/munged.pid" --log-file="$dir/log/munged.log" \
    --seed-file="$dir/munge/munged.seed"

  for _ in $(seq 50); do
    [[ -S "$dir/munge/munge.socket" ]] && return 0
    sleep 0.1
  done
  die "munged did not create its socket; see $dir/log/munged.log"
}

start_daemons() {
  export SLURM_CONF="$dir/slurm.conf"
  if ! alive_pid "$dir/run/slurmctld.pid" >/dev/null; then
    # -i: ignore state files that a previous, different configuration left behind.
    slurmctld -i
  fi
  if ! alive_pid "$dir/run/slurmd.pid" >/dev/null; then
    slurmd
  fi
}

wait_idle() {
  local deadline state host
  host="$(hostname -s 2>/dev/null || uname -n)"
  host="${host%%.*}"
  deadline=$((SECONDS + timeout_s))
  while ((SECONDS < deadline)); do
    state="$(SLURM_CONF="$dir/slurm.conf" sinfo -h -N -o '%t' 2>/dev/null | head -n1 || true)"
    case "$state" in
    idle | mix | alloc) return 0 ;;
    drain* | drng | down*)
      # A node left down by an earlier run: bring it back.
      SLURM_CONF="$dir/slurm.conf" scontrol update nodename="$host" state=resume \
        2>/dev/null || true
      ;;
    esac
    sleep 0.2
  done
  log "node state: '${state:-unknown}'"
  tail -n 20 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
  die "the node did not become idle within ${timeout_s}s"
}

main() {
  local t0=$SECONDS
  install_packages
  write_config
  start_munge
  start_daemons
  wait_idle
  log "ready in $((SECONDS - t0))s: . $dir/env  (SLURM_CONF=$dir/slurm.conf)"
  echo "$dir/env"
}

main "$@"
