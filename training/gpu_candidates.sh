#!/usr/bin/env bash
# Train the demo-model candidates side by side on one GPU machine, each for about $MINUTES minutes,
# from one shared pool of procedural butterflies. Writes $OUT/<name>.tar (the pipeline folder in the
# diffusers layout, loss.csv, the training log) and $OUT/device.log.
#
#   MINUTES=6.5 OUT=runs bash training/gpu_candidates.sh
#   CANDIDATES=demo:base:3e-3 MINUTES=4.3 POOL=200000 OUT=runs bash training/gpu_candidates.sh   # one alone
#
# Where the machine lacks diffusers or duckdb, put their wheels in .whl/ (they are installed first).
set -u
MINUTES=${MINUTES:-6.5}
OUT=${OUT:-runs}
RUNS=${RUNS:-/tmp/candidates}
mkdir -p "$OUT" "$RUNS"
exec > >(tee "$OUT/device.log") 2>&1
WHEELS=${WHEELS:-.whl}
if ls "$WHEELS"/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site "$WHEELS"/*.whl || exit 1
    export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=src${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
python3 -m sqldiffusion.datasets --count "${POOL:-300000}" --out "$RUNS/pool.npy" || exit 1

# name, architecture, peak learning rate
trainers=()
CANDIDATES=${CANDIDATES:-"base:base:1e-3 base_lr3:base:3e-3 noattn:noattn:1e-3 wide:wide:1e-3 deep:deep:1e-3"}
for c in $CANDIDATES; do
    IFS=: read -r name arch lr <<< "$c"
    OMP_NUM_THREADS=2 timeout "$(awk "BEGIN { print int($MINUTES * 60 + 75) }")" python3 -m sqldiffusion train \
        --data "$RUNS/pool.npy" --out "$RUNS/$name" --unet-config "training/unet_$arch.json" \
        --minutes "$MINUTES" --batch-size "${BATCH:-256}" --lr "$lr" --warmup 500 --ema-decay 0.9995 \
        --offset-noise 0.1 > "$RUNS/$name.log" 2>&1 &
    trainers+=($!)
done
sleep "${PEEK:-90}"; tail -n 3 "$RUNS"/*.log; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader
wait "${trainers[@]}"  # not a bare wait: that would wait for the tee above too
for c in $CANDIDATES; do
    IFS=: read -r name arch lr <<< "$c"
    tail -n 4 "$RUNS/$name.log"
    if [ ! -f "$RUNS/$name/unet/diffusion_pytorch_model.safetensors" ] && [ -f "$RUNS/$name/checkpoint.pt" ]; then
        echo "$name: stopped early; its pipeline comes from the last checkpoint's EMA weights"
        python3 -c "
import sys, torch, diffusers
from sqldiffusion.train import read_unet_config, save_pipeline
from pathlib import Path
out = Path(sys.argv[1])
unet = diffusers.UNet2DModel(**read_unet_config(Path(sys.argv[2])))
unet.load_state_dict(torch.load(out / 'checkpoint.pt', map_location='cpu', weights_only=False)['ema'])
save_pipeline(unet, out)" "$RUNS/$name" "training/unet_$arch.json" 2>&1 | tail -2
    fi
    cp "$RUNS/$name.log" "$RUNS/$name/train.log"
    tar -C "$RUNS/$name" -cf "$OUT/$name.tar" --exclude checkpoint.pt --exclude checkpoint.tmp .
done
ls -la "$OUT"
