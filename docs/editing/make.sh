#!/usr/bin/env bash
# The pictures of docs/editing.md, made by the shipped demo model through SQL (DuckDB).
# Run from the repository root: bash docs/editing/make.sh
set -euo pipefail
cd "$(dirname "$0")"
# inputs: a procedurally drawn butterfly (the kind the demo model was trained on), the same one
# recoloured blue, and a mask over its upper-left wing
python - <<'PY'
import numpy as np
from PIL import Image
from sqldiffusion.datasets import draw_butterflies

butterfly = draw_butterflies(1, 32, seed=3)[0]
Image.fromarray(butterfly).save("butterfly.png")
Image.fromarray(butterfly[..., ::-1].copy()).save("blue.png")
mask = np.zeros((32, 32), np.uint8)
mask[5:17, 3:16] = 255
Image.fromarray(mask).save("wing-mask.png")
PY
for strength in 0.3 0.5 0.7; do
  sqldiffusion edit --image blue.png --strength "$strength" --steps 25 --sampler ddim --seed 1 --no-ascii \
    --out "blue-$strength.png"
done
sqldiffusion inpaint --image butterfly.png --mask wing-mask.png --seed 2 --batch 3 --no-ascii --out inpainted.png
sqldiffusion interpolate --seeds 3,8 --frames 6 --steps 20 --out morph.png
sqldiffusion invert --image butterfly.png --steps 25 --save-npy /tmp/sqldiffusion-butterfly-xT.npy --out roundtrip.png
