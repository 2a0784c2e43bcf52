#!/usr/bin/env python3
"""Fits a chip's busy power and HBM energy per byte on measured board energy.

How the figures in data/chips/h200-sxm.yaml `power:` were obtained (README
"Energy and power"): idle power and energy per FLOP are fixed from public
figures; busy power (W while the units are kept busy) and energy per HBM byte
are fitted by least squares on relative error over the torch-eager decode
steps of data/calibration/h200/energy.json, using the model's own predicted
step times and work. The torch-compiled steps are held out.

    python3 scripts/fit_power.py [build/jalapeno]
"""
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "jalapeno")
CHIP = os.path.join(ROOT, "data", "chips", "h200-sxm.yaml")
MODELS = {"llama3-8b": "llama-3.1-8b", "llama3-70b": "llama-3.1-70b"}


def chip_with(busy_w, hbm_pj):
    """The H200 file with busy power and HBM energy replaced (unit probes)."""
    text = open(CHIP).read()
    text = re.sub(r"busy: [^\s#]+", f"busy: {busy_w}W", text)
    text = re.sub(r"per_hbm_byte: [^\s#]+", f"per_hbm_byte: {hbm_pj}pJ", text)
    text = re.sub(r"tdp: [^\s#]+", "tdp: 100kW", text)  # probes must not throttle
    f = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
    f.write(text)
    f.close()
    return f.name


def step(chip, point, engine):
    out = subprocess.run(
        [BIN, "step", "--model", MODELS[point["model"]], "--hw", chip, "--engine", engine,
         "--layers", str(point["layers"]), "--batch", str(point["batch"]), "--ctx",
         str(point["ctx"]), "--json"], capture_output=True, text=True, check=True).stdout
    return json.loads(out)["energy"]


def main():
    data = json.load(open(os.path.join(ROOT, "data", "calibration", "h200", "energy.json")))
    unit = chip_with(1, 1)  # busy_J = busy seconds, hbm_J = bytes * 1e-12
    sets = {"torch-eager": data["energy_torch_eager"], "torch-compiled": data["energy_torch_compiled"]}
    rows = {}
    for engine, points in sets.items():
        rows[engine] = []
        for p in points:
            e = step(unit, p, engine)
            fixed = e["idle_J"] + e["compute_J"] + e["link_J"]
            rows[engine].append((e["busy_J"], e["hbm_J"] / 1e-12, fixed, p["joules_per_step"]))
    # Weighted least squares on relative error, two unknowns: closed form.
    a11 = a12 = a22 = b1 = b2 = 0.0
    for busy_s, hbm_b, fixed, measured in rows["torch-eager"]:
        w = 1 / measured**2
        a11 += w * busy_s * busy_s
        a12 += w * busy_s * hbm_b
        a22 += w * hbm_b * hbm_b
        b1 += w * busy_s * (measured - fixed)
        b2 += w * hbm_b * (measured - fixed)
    det = a11 * a22 - a12 * a12
    busy_w = (b1 * a22 - b2 * a12) / det
    hbm_j = (a11 * b2 - a12 * b1) / det
    print(f"busy: {busy_w:.0f}W  per_hbm_byte: {hbm_j * 1e12:.1f}pJ")
    for engine, rs in rows.items():
        errs = [100 * ((busy_w * b + hbm_j * h + f) / m - 1) for b, h, f, m in rs]
        print(engine, " ".join(f"{e:+.1f}%" for e in errs))
    os.unlink(unit)


if __name__ == "__main__":
    main()
