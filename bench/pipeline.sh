#!/usr/bin/env bash
# Steady-state throughput and CPU cost per event of the whole job graph (parse, score, shuffle,
# per-variant state, detectors, windows, metrics, outputs): `replay` of simulated traffic.
#
# Start-up (JVM, MiniCluster, class loading, JIT warm-up) is taken out by difference: the same
# replay on a small and a large stream, so
#   CPU us/event = (CPU(large) - CPU(small)) / (events(large) - events(small))   (user+sys of the JVM)
#   events/s     = (events(large) - events(small)) / (job time(large) - job time(small))
# Job time is what `replay` reports (graph start to last output), not JVM time.
#
# Usage: bench/pipeline.sh [runs]   (after `mvn -DskipTests package`)
# Environment: JAR (default target/safety-monitor.jar), EVENTS (1000000), SMALL (20000),
# DIR (/tmp/pipeline-bench, where the simulated streams are kept), JAVA_OPTS (e.g. a JFR recording).
# The figures are only comparable on the same machine and load: the script prints `uptime`.
set -euo pipefail

JAR=${JAR:-target/safety-monitor.jar}
EVENTS=${EVENTS:-1000000}
SMALL=${SMALL:-20000}
DIR=${DIR:-/tmp/pipeline-bench}
RUNS=${1:-1}
JAVA_OPTS=${JAVA_OPTS:-}

mkdir -p "$DIR"
for n in "$SMALL" "$EVENTS"; do
  if [[ ! -s "$DIR/events-$n.jsonl" ]]; then
    java -jar "$JAR" simulate --events "$n" --out "$DIR/events-$n.jsonl" >/dev/null 2>&1
  fi
done

# Prints "cpu_seconds job_seconds" for one replay of n events.
replay() {
  local n=$1 log="$DIR/replay-$1.log"
  # shellcheck disable=SC2086
  /usr/bin/time -f "TIME %U %S" java $JAVA_OPTS -jar "$JAR" replay --input "$DIR/events-$n.jsonl" \
    --alerts-out "$DIR/alerts-$n.jsonl" >"$log" 2>&1
  local cpu job
  cpu=$(awk '/^TIME /{print $2 + $3}' "$log")
  job=$(sed -n 's/.* in \([0-9.]*\) s (.*/\1/p' "$log")
  echo "$cpu $job"
}

echo "jar: $JAR, $SMALL and $EVENTS events; load before: $(uptime | sed 's/.*load/load/')"
for ((r = 1; r <= RUNS; r++)); do
  read -r cpu_small job_small < <(replay "$SMALL")
  read -r cpu_large job_large < <(replay "$EVENTS")
  awk -v n="$((EVENTS - SMALL))" -v cs="$cpu_small" -v js="$job_small" -v cl="$cpu_large" -v jl="$job_large" \
    -v run="$r" -v load="$(uptime | sed 's/.*load average: //')" 'BEGIN {
      printf "run %d: %.0f events/s steady state, %.1f us CPU/event (user+sys; small %.1f s CPU / %.1f s job, large %.1f s CPU / %.1f s job); load %s\n",
        run, n / (jl - js), (cl - cs) / n * 1e6, cs, js, cl, jl, load }'
done
