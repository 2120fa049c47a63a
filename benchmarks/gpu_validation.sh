#!/usr/bin/env bash
# The GPU checks of a change, in one call on a lent GPU machine, from the source tree:
#   bash benchmarks/gpu_validation.sh OUT STEP...
# steps: tests (pytest -m cuda), isolate (--isolate search with real OOMs), pitfalls,
# throughput (fp32 validation), latency (latency validation), compare (issue 11 targets).
# Each step writes its log and
# results under OUT; steps.log says how each ended and how long it took.
# Missing Python packages travel as wheels in .whl/ (see the device tool's README).
set -u
out=${1:?usage: gpu_validation.sh OUT STEP...}
shift
mkdir -p "$out"
export PYTHONPATH="src:tests${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
if ! python3 -c "import pydantic, sys; sys.exit(int(pydantic.VERSION.split('.')[0]) < 2)"; then
  python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl
  export PYTHONPATH="/tmp/site:$PYTHONPATH"
fi
python3 -c "import pydantic, torch, typer; print('pydantic', pydantic.VERSION, 'torch', torch.__version__, 'typer', typer.__version__)" | tee "$out/versions.txt"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,temperature.gpu --format=csv >> "$out/versions.txt" 2>&1
for step in "$@"; do
  start=$(date +%s)
  case $step in
    tests) python3 -m pytest -m "cuda or multigpu" tests/test_gpu.py -q -p no:cacheprovider -rs ;;
    isolate) python3 -m infertime throughput models_for_tests:big_activations --device cuda:0 \
      --isolate --memory-fraction 0.02 --preset quick --json "$out/isolate.json" ;;
    pitfalls) python3 benchmarks/pitfalls_validation.py --out "$out" ;;
    throughput) python3 benchmarks/throughput_validation.py --config fp32 --out "$out" ;;
    latency) python3 benchmarks/latency_validation.py --out "$out" ;;
    compare) python3 benchmarks/compare_validation.py --out "$out" ;;
    *) echo "unknown step $step"; false ;;
  esac > "$out/$step.log" 2>&1
  code=$?
  echo "$step: exit $code in $(( $(date +%s) - start )) s" | tee -a "$out/steps.log"
  tail -n 4 "$out/$step.log"
done
