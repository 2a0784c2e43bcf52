#!/usr/bin/env python3
"""TTFT and TPOT against offered load, and throughput against interactivity, for
Llama-3.1-8B on one H200 under the vLLM engine profile: one sweep, one figure.

    PYTHONPATH=build/python python3 examples/ttft_vs_load.py [OUT.png] [--dask ADDRESS]

(With `make install`, plain `python3` finds the package.) The question it answers
used to take a shell loop over `jalapeno serve --json` and a parser.
"""
import sys

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt

import jalapeno

SWEEP = {
    "scenario": {
        "model": "llama-3.1-8b",
        "engine": "vllm",
        "system": {"hw": "h200-sxm"},
        "workload": {
            "arrivals": {"poisson": "10/s"},
            "input_tokens": "lognormal:1024:0.6:4096",
            "output_tokens": "lognormal:256:0.6:2048",
            "requests": 2000,
        },
        "slo": {"ttft": "2s", "tpot": "50ms"},
    },
    "axes": {"workload.arrivals.poisson": {"from": "2/s", "to": "30/s", "points": 15}},
}


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    out = args[0] if args else "ttft_vs_load.png"
    client = sys.argv[sys.argv.index("--dask") + 1] if "--dask" in sys.argv else None
    result = jalapeno.sweep(SWEEP, jobs=2, client=client,
                            pareto="tokens_per_s_per_user,throughput.output_tokens_per_s")
    ok = result.ok()
    rate = result["throughput.requests_per_s"][ok]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    left.plot(rate, result["ttft_s.p90"][ok], "o-", label="TTFT p90")
    left.plot(rate, result["ttft_s.p50"][ok], "o--", label="TTFT p50")
    left.set_xlabel("served requests/s")
    left.set_ylabel("seconds")
    left.set_yscale("log")
    twin = left.twinx()
    twin.plot(rate, 1e3 * result["tpot_s.p90"][ok], "s-", color="tab:red", label="TPOT p90")
    twin.set_ylabel("TPOT p90 (ms)", color="tab:red")
    left.legend(loc="upper left")
    left.set_title("Llama-3.1-8B, one H200, vLLM profile")
    front = result["pareto"] & ok
    right.plot(result["tokens_per_s_per_user"][ok], result["throughput.output_tokens_per_s"][ok],
               "o", color="tab:gray", label="load points")
    right.plot(result["tokens_per_s_per_user"][front],
               result["throughput.output_tokens_per_s"][front], "o-", color="tab:green",
               label="Pareto front")
    right.set_xlabel("tokens/s per user (1 / mean TPOT)")
    right.set_ylabel("output tokens/s")
    right.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(f"{len(result)} points, {int(front.sum())} on the front -> {out}")


if __name__ == "__main__":
    main()
