"""The Python package against the command: the same numbers, bit for bit, locally, on a
Dask cluster of worker processes, and from an installed copy. Run by ctest (`make test`)
with the build tree's package on PYTHONPATH."""
import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

import jalapeno

SOURCE = os.environ.get("JALAPENO_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.environ.get("JALAPENO_BINARY", os.path.join(SOURCE, "build", "jalapeno"))
BUILD = os.environ.get("JALAPENO_BUILD_DIR", os.path.join(SOURCE, "build"))

SWEEP = {
    "scenario": {
        "model": "llama-3.1-8b",
        "engine": "vllm",
        "system": {"hw": "h200-sxm"},
        "workload": {
            "arrivals": {"poisson": "4/s"},
            "input_tokens": "lognormal:512:0.6:2048",
            "output_tokens": 64,
            "requests": 150,
        },
        "slo": {"ttft": "1s", "tpot": "50ms"},
    },
    "axes": {
        "workload.arrivals.poisson": {"from": "2/s", "to": "20/s", "points": 4},
        "system.hw.hbm.bandwidth": ["3TB/s", "4.8TB/s", "8TB/s"],
    },
}
PARETO = "tokens_per_s_per_user,energy.tokens_per_s_per_MW"


def command(*args, cwd=None):
    return subprocess.run([BINARY, *args], capture_output=True, text=True, cwd=cwd)


def test_step_is_the_commands_step():
    via_python = jalapeno.step(model="llama-3.1-8b", hw="h200-sxm", engine="vllm", batch=64, ctx=1024)
    via_command = json.loads(command("step", "--model", "llama-3.1-8b", "--hw", "h200-sxm",
                                     "--engine", "vllm", "--batch", "64", "--ctx", "1024",
                                     "--json").stdout)
    assert via_python == via_command
    assert via_python["seconds"] > 0 and via_python["joules"] > 0


def test_bad_input_raises_config_error_with_the_commands_message():
    with pytest.raises(jalapeno.ConfigError, match="unknown chip 'h200-sxx'"):
        jalapeno.step(model="llama-3.1-8b", hw="h200-sxx")
    with pytest.raises(jalapeno.ConfigError, match="poison"):
        jalapeno.serve(jalapeno.with_fields(SWEEP["scenario"], {"workload.arrivals.poison": "2/s"}))
    assert isinstance(jalapeno.ConfigError("x"), ValueError)


def test_compare_is_the_commands_compare():
    doc = jalapeno.compare(model="llama-3.1-8b", systems=["hgx-h200", "hgx-h100"],
                           slo_tpot="50ms", no_simulate=True)
    assert doc["schema"] == "jalapeno.compare/1"
    assert [s["system"] for s in doc["systems"]] == ["hgx-h200", "hgx-h100"]
    line = jalapeno.run("compare", "--model", "llama-3.1-8b", "--systems", "hgx-h200,hgx-h100",
                        "--slo-tpot", "50ms", "--no-simulate", "--json")
    assert json.loads(line) == doc
    with pytest.raises(jalapeno.ConfigError, match="given twice"):
        jalapeno.compare(model="llama-3.1-8b", systems="hgx-h200,hgx-h200")


def test_params_are_the_declarations():
    kinds = {k["name"]: k for k in jalapeno.params()}
    assert {"chip", "engine", "system", "model", "scenario", "sweep"} <= set(kinds)
    chip = {p["path"]: p for p in jalapeno.params("chip")[0]["params"]}
    assert chip["hbm.bandwidth"]["type"] == "quantity"
    assert chip["hbm.bandwidth"]["dimension"] == "bandwidth"
    assert chip["hbm.bandwidth"]["required"]
    with pytest.raises(jalapeno.ConfigError, match="unknown kind 'widget'"):
        jalapeno.params("widget")


def test_model_and_presets():
    m = jalapeno.model("llama-3.1-8b")
    assert 8.0e9 < m["total_params"] < 8.1e9
    assert "h200-sxm" in jalapeno.presets("chips")
    with pytest.raises(jalapeno.ConfigError):
        jalapeno.presets("widgets")


def test_a_scenario_loaded_modified_and_served(tmp_path):
    path = os.path.join(SOURCE, "data", "scenarios", "energy-cost.yaml")
    scenario = jalapeno.load_scenario(path)
    assert scenario["model"] == "llama-3.1-70b"
    light = jalapeno.serve(scenario, workload__requests=300)
    heavy = jalapeno.serve(jalapeno.with_fields(scenario, {"workload.arrivals.poisson": "16/s",
                                                           "workload.requests": 300}))
    assert light["completed_requests"] == heavy["completed_requests"] == 300
    assert heavy["throughput"]["requests_per_s"] > light["throughput"]["requests_per_s"]
    # The same scenario through the command: the same numbers.
    edited = tmp_path / "light.json"
    edited.write_text(json.dumps(jalapeno.with_fields(scenario, {"workload.requests": 300})))
    via_command = json.loads(command("serve", str(edited), "--json").stdout)
    for key in ("ttft_s", "tpot_s", "energy", "cost", "throughput"):
        assert light[key] == via_command[key], key


def test_a_sweep_is_the_commands_sweep_byte_for_byte(tmp_path):
    result = jalapeno.sweep(SWEEP, jobs=2, pareto=PARETO)
    sweep_file = tmp_path / "sweep.json"
    sweep_file.write_text(json.dumps(SWEEP))
    out = tmp_path / "out"
    run = command("sweep", str(sweep_file), "--out", str(out), "--pareto", PARETO)
    assert run.returncode == 0, run.stderr
    assert result.jsonl == (out / "sweep.jsonl").read_text()
    assert result.csv == (out / "sweep.csv").read_text()
    # Columns as NumPy arrays, one value a point.
    assert len(result) == 12
    tpot = result["tpot_s.mean"]
    assert tpot.dtype == np.float64 and tpot.shape == (12,)
    assert result["pareto"].dtype == bool and result["pareto"].any()
    # Faster HBM at the same load: a shorter TPOT.
    assert tpot[1] < tpot[0] and tpot[2] < tpot[1]
    with pytest.raises(KeyError):
        result["no such column"]


def test_points_that_cannot_run_are_nan_in_numeric_columns():
    result = jalapeno.sweep({
        "mode": "analytical",
        "scenario": SWEEP["scenario"],
        "axes": {"model": ["llama-3.1-8b", "llama-3.1-405b"]},
    })
    tokens = result["tokens_per_s_per_chip"]
    assert tokens[0] > 0 and np.isnan(tokens[1])
    assert list(result.ok()) == [True, False]


def test_a_sweep_on_a_dask_cluster_is_the_local_sweep_bit_for_bit():
    from distributed import Client, LocalCluster

    local = jalapeno.sweep(SWEEP, pareto=PARETO)
    with LocalCluster(n_workers=3, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        start = time.perf_counter()
        on_dask = jalapeno.sweep(SWEEP, client=client, pareto=PARETO, chunk=1)
        wall = time.perf_counter() - start
        by_address = jalapeno.sweep(SWEEP, client=cluster.scheduler_address, pareto=PARETO)
    assert on_dask.jsonl == local.jsonl
    assert on_dask.csv == local.csv
    assert by_address.jsonl == local.jsonl
    print(f"dask: {len(on_dask)} points, one a task, in {wall:.2f} s on 3 worker processes")


def test_the_commands_dask_sweep_writes_the_local_files(tmp_path):
    from distributed import LocalCluster

    sweep_file = tmp_path / "sweep.json"
    sweep_file.write_text(json.dumps(SWEEP))
    local = command("sweep", str(sweep_file), "--out", str(tmp_path / "local"), "--pareto", PARETO)
    assert local.returncode == 0, local.stderr
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        remote = command("sweep", str(sweep_file), "--out", str(tmp_path / "dask"), "--pareto",
                         PARETO, "--dask", cluster.scheduler_address)
    assert remote.returncode == 0, remote.stderr
    assert remote.stdout.replace(str(tmp_path / "dask"), str(tmp_path / "local")) == local.stdout
    for name in ("sweep.csv", "sweep.jsonl"):
        assert (tmp_path / "dask" / name).read_text() == (tmp_path / "local" / name).read_text()
    unreachable = command("sweep", str(sweep_file), "--dask", "tcp://127.0.0.1:9",
                          "--dask-timeout", "2")
    assert unreachable.returncode == 2
    assert "no scheduler reached at tcp://127.0.0.1:9" in unreachable.stderr


def test_an_unreachable_dask_scheduler_is_a_clear_error_not_a_hang():
    start = time.perf_counter()
    with pytest.raises(jalapeno.ConfigError, match="no scheduler reached at tcp://127.0.0.1:9"):
        jalapeno.sweep(SWEEP, client="tcp://127.0.0.1:9", timeout=2)
    assert time.perf_counter() - start < 30


def test_the_installed_copy_runs_from_its_own_data(tmp_path):
    prefix = tmp_path / "prefix"
    installed = subprocess.run(["cmake", "--install", BUILD, "--prefix", str(prefix)],
                               capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr
    data = prefix / "share" / "jalapeno" / "data"
    assert (data / "chips" / "h200-sxm.yaml").is_file()
    packages = list(prefix.glob("lib/python3*/dist-packages"))
    assert len(packages) == 1
    probe = ("import jalapeno; print(jalapeno.data_dir()); "
             "print(jalapeno.step(model='llama-3.1-8b', hw='h200-sxm')['seconds'])")
    env = dict(os.environ, PYTHONPATH=str(packages[0]))
    env.pop("JALAPENO_DATA", None)
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env,
                         cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[0] == str(data)
    # The installed binary reads the data beside it, and says where it looked when told wrong.
    binary = prefix / "bin" / "jalapeno"
    presets = subprocess.run([str(binary), "presets"], capture_output=True, text=True,
                             cwd=tmp_path, env={k: v for k, v in env.items() if k != "PYTHONPATH"})
    assert presets.returncode == 0 and "h200-sxm" in presets.stdout
    wrong = subprocess.run([str(binary), "presets"], capture_output=True, text=True,
                           env=dict(env, JALAPENO_DATA=str(tmp_path / "nowhere")))
    assert wrong.returncode == 2 and "nowhere" in wrong.stderr


def test_the_example_makes_its_plot(tmp_path):
    out = tmp_path / "ttft.png"
    run = subprocess.run([sys.executable, os.path.join(SOURCE, "examples", "ttft_vs_load.py"),
                          str(out)], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert out.stat().st_size > 10_000 and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
