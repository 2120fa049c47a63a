#!/usr/bin/env bash
# Issue 22 on GPUs, from the repository root (PYTHONPATH=src:tests set here):
#   bash benchmarks/sweep_gpu.sh one OUT   # 1 GPU: 12 points x 2 rounds, kill -9 + --resume
#   bash benchmarks/sweep_gpu.sh two OUT   # 2 GPUs: local executor, then Ray (num_gpus=2)
# one: EfficientNet-B0 and ResNet-50 x batch 1/64/256 x fp32/bf16, --rounds 2; the driver is
#   killed with SIGKILL after 5 finished runs, then resumed: 24 files, none twice (sweep_check).
# two: the same 12 points plus one made to run out of memory (models_for_tests:oom_model) and
#   one whose child is killed with SIGKILL mid-point (--seed 4242); each recorded as failed and
#   not retried; no two points on one GPU at once; wall against sum of point walls / 2. Then
#   the same grid on a local Ray instance declaring this machine's 2 GPUs (skipped, said so,
#   when ray is not installed).
set -u
mode=${1:?usage: sweep_gpu.sh one|two OUT}
out=${2:?usage: sweep_gpu.sh one|two OUT}
mkdir -p "$out"
export PYTHONPATH="src:tests${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
py=${PYTHON:-python3}
rounds=${SWEEP_ROUNDS:-2}  # a shorter check: SWEEP_ROUNDS=1
nvidia-smi --query-gpu=index,name,uuid,driver_version --format=csv > "$out/gpus.txt" 2>&1

grid() {  # $1: the TOML file; $2: extra [[include]] points (text)
  cat > "$1" <<TOML
kind = "run"

[options]
preset = "quick"

[matrix]
model = ["timm:efficientnet_b0", "timm:resnet50"]
batch_size = [1, 64, 256]
dtype = ["fp32", "bf16"]
$2
TOML
}

files() { find "$1/points" -name '*.json' 2>/dev/null | wc -l; }

one() {
  grid "$out/one.toml" ""
  folder="$out/one"
  rm -rf "$folder"
  $py -m infertime sweep "$out/one.toml" -o "$folder" --rounds "$rounds" > "$out/one_first.txt" \
    2> "$out/one_first.err" &
  driver=$!
  until [ "$(files "$folder")" -ge 5 ] || ! kill -0 "$driver" 2>/dev/null; do sleep 1; done
  kill -9 "$driver" 2>/dev/null && echo "driver $driver killed (SIGKILL) after $(files "$folder") files"
  wait "$driver" 2>/dev/null
  sleep 2  # its child dies with it (PR_SET_PDEATHSIG)
  start=$(date +%s)
  $py -m infertime sweep "$out/one.toml" -o "$folder" --rounds "$rounds" --resume \
    --export-csv "$out/one.csv" --export-markdown "$out/one.md" > "$out/one_table.txt" \
    2> "$out/one_resume.err"
  echo "resume: exit $? in $(( $(date +%s) - start )) s"
  cat "$out/one_table.txt"
  $py benchmarks/sweep_check.py "$folder" --expect $(( 12 * rounds )) --failed 0 --out "$out/one_check.json"
}

two_local() {
  grid "$out/two.toml" '
[[include]]
model = "models_for_tests:oom_model"
batch_size = 1

[[include]]
model = "timm:resnet50"
batch_size = 256
dtype = "fp32"
seed = 4242'
  folder="$out/two_local"
  rm -rf "$folder"
  (  # the point with --seed 4242: its child is killed 20 s after it starts
    until pid=$(pgrep -f -n -- "--seed 4242 .*--json"); do sleep 0.5; done
    sleep 20; kill -9 "$pid" && echo "killed the child $pid of the --seed 4242 point"
  ) > "$out/two_local_kill.txt" 2>&1 &
  start=$(date +%s)
  $py -m infertime sweep "$out/two.toml" -o "$folder" --gpus 0,1 > "$out/two_local_table.txt" \
    2> "$out/two_local.err"
  code=$?
  wall=$(( $(date +%s) - start ))
  echo "local executor, 2 GPUs: exit $code in $wall s"
  cat "$out/two_local_kill.txt" "$out/two_local_table.txt"
  $py benchmarks/sweep_check.py "$folder" --expect 14 --failed 2 --workers 2 --wall-s "$wall" \
    --out "$out/two_local_check.json"
  # --resume: the failed points are results, not retried
  $py -m infertime sweep "$out/two.toml" -o "$folder" --gpus 0,1 --resume \
    > /dev/null 2> "$out/two_local_resume.err"
  tail -n 1 "$out/two_local_resume.err"
}

two_ray() {
  if ! $py -c "import ray" 2>/dev/null; then
    echo "Ray: not installed here (pip install 'infertime[ray]'); the Ray run is skipped"
    return 0
  fi
  folder="$out/two_ray"
  rm -rf "$folder"
  $py - "$out/two.toml" "$folder" <<'PY' > "$out/two_ray.txt" 2>&1
import sys, time
from infertime.sweep.driver import run_sweep
from infertime.sweep.progress import SweepProgress
from infertime.sweep.ray_executor import RayExecutor
from infertime.sweep.specfile import load_grid_file
grid = load_grid_file(sys.argv[1])
start = time.time()
report = run_sweep(grid, sys.argv[2], executor=RayExecutor(None, init={"num_gpus": 2}),
                   progress=SweepProgress())
print(f"ray wall_s {time.time() - start:.1f} state {report.state}")
PY
  echo "Ray, 2 GPUs: exit $?"
  tail -n 3 "$out/two_ray.txt"
  wall=$(grep -o 'ray wall_s [0-9.]*' "$out/two_ray.txt" | awk '{print $3}')
  $py benchmarks/sweep_check.py "$folder" --expect 14 --workers 2 ${wall:+--wall-s "$wall"} \
    --out "$out/two_ray_check.json"
}

case $mode in
  one) one ;;
  two) two_local; two_ray ;;
  *) echo "unknown mode $mode (one or two)"; exit 2 ;;
esac
