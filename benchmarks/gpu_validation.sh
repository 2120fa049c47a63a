#!/usr/bin/env bash
# The GPU checks of a change, in one call on a lent GPU machine, from the source tree:
#   bash benchmarks/gpu_validation.sh OUT STEP[=SECONDS]...
# steps: tests (pytest -m "cuda or multigpu"), isolate (--isolate search with real OOMs),
# pitfalls, throughput (fp32 validation), latency (latency validation), compare (issue 11 and
# 26 targets), energy (issue 25), generate (issue 21), genlive (issue 21 item 7: live
# generate compare; issue 25 item 1: generate --energy), sweep (issue 22), forkserver (issue
# 22's start-up cut: FORK_MODEL, FORK_POINT, FORK_BATCHES, FORK_AA_BATCH, FORK_AA), gate (the pytest
# plugin on the GPU, issue 24), report (the HTML report of everything under OUT).
# STEP=SECONDS stops a step after that long (what it wrote so far stays). Environment knobs:
# LAT_BATCHES, LAT_RUNS (latency), CMP_STEPS (compare). Each step writes its log and results
# under OUT; steps.log says how each ended and how long it took.
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
python3 -c "import pydantic, torch, typer, timm, transformers, triton, platform; print('pydantic', pydantic.VERSION, 'torch', torch.__version__, 'cuda', torch.version.cuda, 'cudnn', torch.backends.cudnn.version(), 'typer', typer.__version__, 'timm', timm.__version__, 'transformers', transformers.__version__, 'triton', triton.__version__, 'python', platform.python_version())" | tee "$out/versions.txt"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,temperature.gpu --format=csv >> "$out/versions.txt" 2>&1
for arg in "$@"; do
  step=${arg%%=*}
  limit=${arg#*=}
  [ "$limit" = "$arg" ] && limit=1200
  start=$(date +%s)
  case $step in
    tests) timeout -k 10 "$limit" python3 -m pytest -m "cuda or multigpu" tests/ -q \
      -p no:cacheprovider -rs --durations=10 ;;
    isolate) timeout -k 10 "$limit" python3 -m infertime throughput \
      models_for_tests:big_activations --device cuda:0 --isolate --memory-fraction 0.02 \
      --preset quick --json "$out/isolate.json" ;;
    pitfalls) timeout -k 10 "$limit" python3 benchmarks/pitfalls_validation.py --out "$out" ;;
    throughput) timeout -k 10 "$limit" python3 benchmarks/throughput_validation.py \
      --config fp32 --out "$out" ;;
    latency) timeout -k 10 "$limit" python3 benchmarks/latency_validation.py --out "$out" \
      --batches "${LAT_BATCHES:-1,64,256}" --runs "${LAT_RUNS:-5}" ;;
    compare) timeout -k 10 "$limit" python3 benchmarks/compare_validation.py --out "$out" \
      --steps "${CMP_STEPS:-aa,known,launch,processes}" ;;
    energy) timeout -k 10 "$limit" python3 benchmarks/energy_gpu.py ${ENERGY_FLAGS:---pipeline --check-sharing} \
      --effnet-batches "${ENERGY_BATCHES:-1,8,32,64,128,256,512,1024}" --out "$out" ;;
    generate) # the first answer as users type it, then GPT-2 (every variant, batch 1 and 16),
      # then the 1B Llama (eager, batch 1) and its SLO search; the whole step within $limit
      end=$(( $(date +%s) + limit ))
      left() { echo $(( end - $(date +%s) > 5 ? end - $(date +%s) : 5 )); }
      TIMEFORMAT="first answer, process wall %R s"
      time timeout -k 10 "$(left)" python3 -m infertime \
        generate hf:gpt2 --prompt-len 512 --new-tokens 128 -b 1 --dtype bf16 --details \
        --json "$out/generate_gpt2_b1.json"
      timeout -k 10 "$(left)" python3 benchmarks/generate_gpu.py --out "$out/generate" \
        --no-cli --models gpt2 --batches 1 16
      timeout -k 10 "$(left)" python3 benchmarks/generate_gpu.py --out "$out/generate" \
        --no-cli --models llama1b --batches 1 --variants eager-dynamic ;;
    genlive) # generate --energy through NVML, then live compare of generate configurations:
      # A/A with the gate (expect no difference, exit 0), dynamic vs static cache, eager vs
      # compiled decode (one copy each: two compiles), fp32 vs bf16 with --energy
      end=$(( $(date +%s) + limit ))
      left() { echo $(( end - $(date +%s) > 5 ? end - $(date +%s) : 5 )); }
      m="hf:gpt2 --prompt-len 128 --new-tokens 32 --dtype bf16"
      run() { timeout -k 10 "$(left)" python3 -m infertime "$@"; echo "exit $?"; }
      run generate hf:gpt2 --prompt-len 128 --new-tokens 32 -b 4 --dtype bf16 --energy \
        --no-caller --json "$out/genlive_energy.json"
      run compare "$m" "$m" --figure tpot --max-time 40 --fail-if-slower 2% \
        --json "$out/genlive_aa.json"
      run compare "$m" "$m --cache static" --figure tpot --max-time 40 \
        --json "$out/genlive_static.json"
      run compare "$m --cache static" "$m --cache static --backend compile" --figure tpot \
        --copies 1 --max-time 40 --json "$out/genlive_compile.json"
      run compare "hf:gpt2 --prompt-len 128 --new-tokens 32" "$m" --figure e2e --copies 1 \
        --max-time 30 --energy --json "$out/genlive_energy_cmp.json" ;;
    sweep) timeout -k 10 "$limit" bash benchmarks/sweep_gpu.sh one "$out/sweep" ;;
    forkserver) # issue 22 item 6: points forked from the fork server against fresh
      # interpreters and `infertime run` (start-up cut, A/A at one batch)
      timeout -k 10 "$limit" python3 benchmarks/sweep_overhead.py \
        --model "${FORK_MODEL:-timm:efficientnet_b0}" \
        --point-args "${FORK_POINT:---device cuda --preset quick}" \
        --batches "${FORK_BATCHES:-1,64}" --aa-batch "${FORK_AA_BATCH:-64}" \
        --aa "${FORK_AA:-4}" --startups 3 --out "$out/sweep_overhead_gpu.json" ;;
    gate) timeout -k 10 "$limit" python3 benchmarks/pytest_gate_gpu.py ${GATE_ARGS:-} --out "$out" ;;
    report) timeout -k 10 "$limit" python3 -m infertime report "$out" -o "$out/report.html" ;;
    *) echo "unknown step $step"; false ;;
  esac > "$out/$step.log" 2>&1
  code=$?
  echo "$step: exit $code in $(( $(date +%s) - start )) s (limit $limit s)" | tee -a "$out/steps.log"
  tail -n 4 "$out/$step.log"
done
