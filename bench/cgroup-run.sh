#!/bin/sh
# Runs a command inside a memory-limited cgroup, as a Fargate task of that size would run it, and
# prints the command's peak RSS and the cgroup's peak usage (issue 16, "memory follows the task").
#   bench/cgroup-run.sh 4G npx tsx src/cli/pipeline.ts daily --date 2026-04-01 --force
# Uses `systemd-run --scope -p MemoryMax=…` when systemd runs the machine; otherwise creates a cgroup
# by hand (v2: memory.max; v1: memory.limit_in_bytes; needs root). The job derives its DuckDB memory
# limit from that cgroup (src/config/memoryLimit.ts).
set -eu
size="$1"; shift
bytes=$(numfmt --from=iec "$size")
out=$(mktemp)
if systemctl is-system-running >/dev/null 2>&1; then
  systemd-run --scope -q -p MemoryMax="$bytes" /usr/bin/time -v -o "$out" "$@"
  echo "cgroup-run: $size (systemd scope); peak RSS $(awk -F': ' '/Maximum resident/ {print int($2/1024)}' "$out") MB"
  exit 0
fi
name="ace-cgroup-run-$$"
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  dir="/sys/fs/cgroup/$name"; mkdir "$dir"; echo "$bytes" > "$dir/memory.max"; echo 0 > "$dir/memory.swap.max" 2>/dev/null || true
  peakfile="$dir/memory.peak"; eventsfile="$dir/memory.events"
else
  dir="/sys/fs/cgroup/memory/$name"; mkdir "$dir"; echo "$bytes" > "$dir/memory.limit_in_bytes"
  peakfile="$dir/memory.max_usage_in_bytes"; eventsfile="$dir/memory.failcnt"
fi
status=0
sh -c 'echo $$ > "$1/cgroup.procs"; shift; exec /usr/bin/time -v -o "$0" "$@"' "$out" "$dir" "$@" || status=$?
peak=$(cat "$peakfile" 2>/dev/null || echo 0)
echo "cgroup-run: limit $size, exit $status, peak RSS $(awk -F': ' '/Maximum resident/ {print int($2/1024)}' "$out") MB, cgroup peak $((peak / 1048576)) MB (incl. page cache), $(basename "$eventsfile"): $(tr '\n' ' ' < "$eventsfile")"
rmdir "$dir" 2>/dev/null || true
rm -f "$out"
exit $status
