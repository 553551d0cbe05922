#!/usr/bin/env bash
# Scale-out on a real SLURM (issue 22, item 3): runs the job arrays of docs/scale-out.md on a
# single-node SLURM cluster started here, and checks that the merged files equal an unsharded
# run byte for byte.
#
# Runs from the repository root, with no terminal, as root (it installs Debian's slurm-wlm and
# munge when they are missing, and starts munged, slurmctld and slurmd as root). It needs a
# built chokepoint binary: $CHOKEPOINT_BIN, else ${CARGO_TARGET_DIR:-target}/debug/chokepoint
# (`cargo build -p chokepoint-cli`).
#
# What it runs is read from docs/scale-out.md, so a wrong command in the guide fails the test:
#   - "## SLURM job array": the first ```bash block is written to sweep.sbatch, the second
#     (mkdir, sbatch, the dependent merge) is run as it stands;
#   - "## Sharding a ranking": the same with rank.sbatch;
#   - in each section, the command that runs one failed shard again (`sbatch --array=7
#     sweep.sbatch --shard 7/16`, with shard 2 of 4 here) must write that part again, the
#     same bytes, and nothing else.
# The only changes made to them, each checked to match exactly once:
#   - the array is 0-3 instead of 0-15 (`#SBATCH --array=`), and the merge's glob says
#     `-of-0004` instead of `-of-0016`;
#   - `--runs` is small (sweep 18 instead of 1000000, rank 6 instead of 10000), so that it takes
#     seconds;
#   - nothing else: `chokepoint` is found on PATH (a folder holding a link to the binary), and
#     the guide's relative folders (logs/, parts/, rank-parts/, out/) land in a temporary
#     folder whose scenarios/ is a link to the repository's.
# (And the rerun's `--array=7` and `7/16` become `--array=2` and `2/4`.)
# The unsharded reference is the sbatch script's own `srun` command without `srun`, with
# `-o whole/` (or `-o rank-whole/`) for the parts folder, run outside SLURM.
#
# The cluster's configuration, spool, state, logs, munge key and socket are all in the
# temporary folder (SLURM_CONF points there; ports 16817/16818, not the defaults, so that a
# SLURM already on the machine is not disturbed); the daemons are stopped on exit. The folder
# is removed on success and kept on failure (or with SLURM_TEST_KEEP=1).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
guide=$repo/docs/scale-out.md
t_start=$SECONDS

shards=4             # array 0-3 instead of the guide's 0-15
sweep_runs=18        # instead of 1000000 (shards of 4 and 5 runs)
rank_runs=6          # instead of 10000 (shards of 1 and 2 runs: a debug build ranks ~10 runs/s)
job_timeout=${SLURM_TEST_JOB_TIMEOUT:-300}
ctld_port=${SLURM_TEST_PORT:-16817}
slurmd_port=$((ctld_port + 1))

say() { printf '== %s\n' "$*"; }
die() { printf 'slurm-test: %s\n' "$*" >&2; exit 1; }

# --- the binary ---------------------------------------------------------------------------
bin=${CHOKEPOINT_BIN:-${CARGO_TARGET_DIR:-target}/debug/chokepoint}
[ -x "$bin" ] || die "no chokepoint binary at $bin: build it first (cargo build -p chokepoint-cli) or set CHOKEPOINT_BIN"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

# --- SLURM and munge ----------------------------------------------------------------------
if ! command -v slurmctld > /dev/null || ! command -v slurmd > /dev/null \
    || ! command -v sbatch > /dev/null || ! command -v munged > /dev/null; then
    say "apt-get install slurm-wlm munge"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        slurm-wlm munge > /dev/null
fi
slurm_pkg=$(dpkg-query -W -f='${Version}' slurm-wlm 2> /dev/null || echo '?')
munge_pkg=$(dpkg-query -W -f='${Version}' munge 2> /dev/null || echo '?')

# Variables from a SLURM job this script may itself run in would leak into ours (this
# script's own SLURM_TEST_* settings stay).
while read -r v; do unset "$v"; done < <(compgen -e | grep '^SLURM_' | grep -v '^SLURM_TEST_' || true)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/chokepoint-slurm.XXXXXX")
chmod 755 "$tmp"   # munged wants the folders above its socket searchable by all
mkdir -p "$tmp"/{munge,spool,state,log,bin,work}
ln -s "$bin" "$tmp/bin/chokepoint"
export PATH="$tmp/bin:$PATH"
export SLURM_CONF=$tmp/slurm.conf
pids=()
ok=0

cleanup() {
    local status=$?
    set +e
    if [ -n "${pids[*]}" ]; then
        scancel --user=root > /dev/null 2>&1
        sleep 1
        for p in "${pids[@]}"; do kill "$p" 2> /dev/null; done
        for _ in $(seq 50); do
            alive=0
            for p in "${pids[@]}"; do kill -0 "$p" 2> /dev/null && alive=1; done
            [ $alive = 0 ] && break
            sleep 0.2
        done
        for p in "${pids[@]}"; do kill -9 "$p" 2> /dev/null; done
        wait 2> /dev/null
    fi
    if [ $ok = 1 ] && [ -z "${SLURM_TEST_KEEP:-}" ]; then
        rm -rf "$tmp"
    else
        echo "slurm-test: the cluster's files and the jobs' folders are kept in $tmp" >&2
    fi
    exit $status
}
trap cleanup EXIT

# The daemons run in the foreground, so their standard error holds all their log lines.
daemon_logs() {
    for f in "$tmp"/log/*.out; do
        echo "---- $f (last 40 lines)"
        tail -n 40 "$f"
    done
}

# --- munge --------------------------------------------------------------------------------
say "munged, slurmctld, slurmd (single node, config in $tmp)"
if command -v mungekey > /dev/null; then
    mungekey --create --keyfile="$tmp/munge/munge.key"
else
    dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none
fi
chmod 600 "$tmp/munge/munge.key"
# --force: munged runs as root here (it would rather run as its own user).
munged --force --foreground --socket="$tmp/munge/munge.socket" \
    --key-file="$tmp/munge/munge.key" --pid-file="$tmp/munge/munged.pid" \
    --seed-file="$tmp/munge/munged.seed" --log-file="$tmp/log/munged.log" \
    > "$tmp/log/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S "$tmp/munge/munge.socket" ] && break; sleep 0.1; done
munge -S "$tmp/munge/munge.socket" -n | unmunge -S "$tmp/munge/munge.socket" > /dev/null \
    || { daemon_logs; die "munged does not answer on $tmp/munge/munge.socket"; }

# --- slurm.conf ---------------------------------------------------------------------------
host=$(hostname -s)
# slurmd -C prints this machine's NodeName line (CPUs, sockets, cores, RealMemory).
node_line=$(slurmd -C | sed -n '/^NodeName=/p' | head -n 1)
[ -n "$node_line" ] || die "slurmd -C printed no NodeName line"
node_line=$(sed "s/^NodeName=[^ ]*/NodeName=$host NodeAddr=127.0.0.1/" <<< "$node_line")
cat > "$SLURM_CONF" << EOF
# Single-node cluster for scripts/slurm-test.sh: no systemd, no cgroups, no accounting.
ClusterName=chokepoint-ci
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/munge/munge.socket
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmdSpoolDir=$tmp/spool
StateSaveLocation=$tmp/state
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
# Finished jobs stay visible to scontrol for an hour (there is no sacct without slurmdbd).
MinJobAge=3600
$node_line State=UNKNOWN
PartitionName=ci Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF

slurmctld -D > "$tmp/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D > "$tmp/log/slurmd.out" 2>&1 &
pids+=($!)
t_up=$SECONDS
state=
for _ in $(seq 120); do
    state=$(sinfo -h -n "$host" -o '%t' 2> /dev/null || true)
    [ "$state" = idle ] && break
    sleep 0.5
done
if [ "$state" != idle ]; then
    daemon_logs
    die "the node $host is not idle after 60 s (sinfo says '${state:-nothing}'); the daemons' logs are above"
fi
slurm_version=$(sinfo --version | awk '{print $2}')
say "SLURM $slurm_version up in $((SECONDS - t_up)) s: node $host idle ($(sed 's/ NodeAddr=[^ ]*//' <<< "$node_line"))"

# --- reading the guide --------------------------------------------------------------------
# The n-th ```bash block under the heading "## $2" of the guide, verbatim.
guide_block() {
    awk -v title="## $1" -v want="$2" '
        /^```/ && !fence { fence = 1; if (sec && $0 == "```bash") { n++; grab = (n == want) } ; next }
        /^```/ && fence { fence = 0; if (grab) exit; next }
        !fence && /^## / { sec = ($0 == title); next }
        grab { print }
    ' "$guide"
}

# The text of the section "## $1" of the guide.
guide_section() {
    awk -v title="## $1" '
        /^```/ { fence = !fence }
        !fence && /^## / { sec = ($0 == title); next }
        sec { print }
    ' "$guide"
}

# Replace exactly one line matching the ERE $2 in file $1 by sed's s-command $3.
edit_once() {
    local file=$1 pattern=$2 subst=$3 count
    count=$(grep -cE -- "$pattern" "$file" || true)
    [ "$count" = 1 ] || die "expected one line matching '$pattern' in the guide's $(basename "$file"), found $count; the test's substitutions need updating"
    sed -E -i "/$pattern/ $subst" "$file"
}

job_field() { scontrol -o show job "$1" 2> /dev/null | sed -n "s/.* $2=\([^ ]*\).*/\1/p"; }

# Print everything about the jobs and their logs, then fail.
job_failure() {
    echo "---- scontrol show job"
    scontrol show job 2>&1 || true
    for f in "$work"/logs/* "$work"/slurm-*.out; do
        [ -f "$f" ] || continue
        echo "---- $f"
        cat "$f"
    done
    daemon_logs
    die "$1"
}

# Wait until the merge job $2 (after array $1) has completed; fail on any failure.
wait_jobs() {
    local array=$1 merge=$2 deadline=$((SECONDS + job_timeout)) m reason tasks
    while :; do
        tasks=$(job_field "$array" JobState | sort | uniq -c | awk '{printf "%s%s×%s", sep, $2, $1; sep=" "}')
        m=$(job_field "$merge" JobState)
        reason=$(job_field "$merge" Reason)
        case "$m" in
            COMPLETED) break ;;
            PENDING | RUNNING | CONFIGURING | COMPLETING) ;;
            *) job_failure "the merge job $merge ended $m (shards: $tasks)" ;;
        esac
        if grep -qE 'FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|PREEMPTED' <<< "$tasks" \
            || [ "$reason" = DependencyNeverSatisfied ]; then
            job_failure "a shard of array $array failed (shards: $tasks; merge $merge: $m, $reason)"
        fi
        [ $SECONDS -lt "$deadline" ] \
            || job_failure "array $array and merge $merge not done after $job_timeout s (shards: $tasks; merge: $m, $reason)"
        sleep 1
    done
    [ "$tasks" = "COMPLETED×$shards" ] \
        || job_failure "the merge $merge completed but the shards of array $array are: $tasks"
}

# One section of the guide: $1 heading, $2 sbatch file name, $3 --runs in the guide, $4 ours,
# $5 parts folder, $6 unsharded output folder, $7... files that must be byte-identical.
run_section() {
    local heading=$1 sbatch=$2 guide_runs=$3 runs=$4 parts=$5 whole=$6
    shift 6
    local files=("$@") t0 t_jobs t_whole array merge merged cmd f
    work=$tmp/work/${sbatch%.sbatch}
    mkdir -p "$work"
    ln -s "$repo/scenarios" "$work/scenarios"
    guide_block "$heading" 1 > "$work/$sbatch"
    guide_block "$heading" 2 > "$work/submit.sh"
    [ -s "$work/$sbatch" ] && [ -s "$work/submit.sh" ] \
        || die "no two \`\`\`bash blocks under '## $heading' in docs/scale-out.md"
    edit_once "$work/$sbatch" '^#SBATCH --array=0-15$' "s/0-15/0-$((shards - 1))/"
    edit_once "$work/$sbatch" "--runs $guide_runs( |\$)" "s/--runs $guide_runs/--runs $runs/"
    edit_once "$work/submit.sh" '-of-0016\.part' "s/-of-0016\\.part/-of-$(printf %04d $shards).part/"

    say "$heading: sbatch $sbatch ($shards shards, --runs $runs) and the dependent merge, as docs/scale-out.md says"
    t0=$SECONDS
    (cd "$work" && bash -c 'set -euo pipefail; source ./submit.sh; printf "%s\n" "$array" > .array-id') \
        > "$work/submit.out" 2>&1 || { cat "$work/submit.out"; die "the guide's submission commands failed"; }
    cat "$work/submit.out"
    array=$(cat "$work/.array-id")
    merge=$(sed -n 's/^Submitted batch job \([0-9][0-9]*\)$/\1/p' "$work/submit.out")
    [[ "$array" =~ ^[0-9]+$ ]] && [[ "$merge" =~ ^[0-9]+$ ]] \
        || die "could not tell the array's and the merge's job ids (array '$array', merge '$merge')"
    wait_jobs "$array" "$merge"
    t_jobs=$((SECONDS - t0))

    # The unsharded run: the srun command of the sbatch script, without srun, into $whole.
    cmd=$(awk '/^srun / { on = 1 } on { print; if (!/\\$/) exit }' "$work/$sbatch" | sed 's/^srun //')
    [ -n "$cmd" ] || die "no srun command in the guide's $sbatch"
    grep -q -- "-o $parts" <<< "$cmd" || die "the srun command in $sbatch does not write to $parts"
    cmd=${cmd/-o $parts/-o $whole}
    t0=$SECONDS
    (cd "$work" && SLURM_CPUS_PER_TASK=$(sed -n 's/^#SBATCH --cpus-per-task=//p' "$sbatch") \
        bash -c "set -euo pipefail; $cmd" > whole.out 2>&1) \
        || { cat "$work/whole.out"; die "the unsharded run failed: $cmd"; }
    t_whole=$((SECONDS - t0))

    merged=$(grep -oE -- '-o [^" ]+' "$work/submit.sh" | tail -n 1 | cut -c4-)
    for f in "${files[@]}"; do
        [ -f "$work/$merged/$f" ] || job_failure "the merge wrote no $merged/$f"
        cmp "$work/$whole/$f" "$work/$merged/$f" \
            || die "$merged/$f differs from the unsharded $whole$f (kept in $work)"
    done
    summary+=("$(printf '%-24s array %s (%d shards) + merge %s: %3d s; unsharded %3d s; %s byte-identical' \
        "$heading:" "$array" "$shards" "$merge" "$t_jobs" "$t_whole" "${files[*]}")")
    resubmit_shard "$heading" "$sbatch" "$parts"
}

# The guide's command that runs one failed shard again (shard 7 of 16 there, 2 of 4 here):
# it must write the same part again, byte for byte, and nothing else.
resubmit_shard() {
    local heading=$1 sbatch=$2 parts=$3 cmd job part state t0=$SECONDS prefix=
    [ "$sbatch" = rank.sbatch ] && prefix=rank-
    cmd=$(guide_section "$heading" | grep -oE "sbatch --array=7 ${sbatch}[^\`]*" | head -n 1 || true)
    [ -n "$cmd" ] || die "no \`sbatch --array=7 $sbatch …\` (resubmitting a shard) under '## $heading' in the guide"
    cmd=$(sed 's/--array=7 /--array=2 /; s#7/16#2/4#' <<< "$cmd")
    part=$(printf '%sshard-%04d-of-%04d.part' "$prefix" 2 "$shards")
    mv "$work/$parts$part" "$work/$part.first"
    ls "$work/$parts" > "$work/parts-before"
    (cd "$work" && $cmd) > "$work/resubmit.out" 2>&1 || { cat "$work/resubmit.out"; die "$cmd failed"; }
    job=$(sed -n 's/^Submitted batch job \([0-9][0-9]*\)$/\1/p' "$work/resubmit.out")
    [[ "$job" =~ ^[0-9]+$ ]] || { cat "$work/resubmit.out"; die "no job id from $cmd"; }
    while :; do
        state=$(job_field "$job" JobState)
        case "$state" in
            COMPLETED) break ;;
            PENDING | RUNNING | CONFIGURING | COMPLETING) ;;
            *) job_failure "the resubmitted shard (job $job: $cmd) ended $state" ;;
        esac
        [ $((SECONDS - t0)) -lt "$job_timeout" ] || job_failure "the resubmitted shard (job $job) is not done after $job_timeout s"
        sleep 1
    done
    ls "$work/$parts" | grep -vxF "$part" | diff "$work/parts-before" - > /dev/null \
        && [ -f "$work/$parts$part" ] \
        || job_failure "\`$cmd\` (job $job) did not write $parts$part again and nothing else; $parts holds: $(ls "$work/$parts" | tr '\n' ' ')"
    cmp "$work/$part.first" "$work/$parts$part" || die "the resubmitted $part differs from the first"
    summary+=("$(printf '%-24s %s (job %s): %3d s; the same %s again' "shard rerun:" "$cmd" "$job" $((SECONDS - t0)) "$part")")
}

summary=()
run_section "SLURM job array" sweep.sbatch 1000000 "$sweep_runs" parts/ whole/ \
    bands.csv kpis.csv summary.json
run_section "Sharding a ranking" rank.sbatch 10000 "$rank_runs" rank-parts/ rank-whole/ \
    rank.csv rank.json rank.svg rank.png

ok=1
say "summary: SLURM $slurm_version (Debian slurm-wlm $slurm_pkg, munge $munge_pkg), one node ($host)"
for line in "${summary[@]}"; do echo "   $line"; done
echo "   total $((SECONDS - t_start)) s"
