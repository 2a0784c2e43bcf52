"""jalapeno from Python: the same C++ library as the `jalapeno` command.

    import jalapeno
    s = jalapeno.load_scenario("data/scenarios/energy-cost.yaml")
    s = jalapeno.with_fields(s, {"workload.arrivals.poisson": "12/s"})
    result = jalapeno.serve(s)                       # a dict: serve --json's document
    step = jalapeno.step(model="llama-3.1-8b", hw="h200-sxm", batch=64, ctx=1024)
    sweep = jalapeno.sweep("data/sweeps/hbm-and-batch.yaml", jobs=2,
                           pareto="tokens_per_s_per_user,tokens_per_s_per_chip")
    sweep["tokens_per_s_per_chip"]                   # a NumPy array, one value a point

Sweeps run on threads (`jobs`) or on a Dask cluster (`client=`), with the
same rows, bit for bit, in the same order. Bad input raises
jalapeno.ConfigError (a ValueError) with the message the command prints.
README "Python".
"""

import copy
import json
import os

from . import _jalapeno
from ._jalapeno import ConfigError

__all__ = [
    "ConfigError",
    "SweepResult",
    "data_dir",
    "load_scenario",
    "model",
    "plan",
    "presets",
    "run",
    "serve",
    "step",
    "sweep",
    "with_fields",
]


def _find_installed_data():
    """The data installed with the package (PREFIX/share/jalapeno/data)."""
    here = os.path.dirname(os.path.abspath(__file__))
    # PREFIX/lib/pythonX.Y/dist-packages/jalapeno -> PREFIX/share/jalapeno/data
    prefix = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(here))))
    candidate = os.path.join(prefix, "share", "jalapeno", "data")
    # Installed: its own data; in a build tree: the sources it was built from
    # (not whatever lies beside the Python interpreter).
    if os.path.isdir(os.path.join(candidate, "chips")):
        _jalapeno.set_data_dir(candidate)
    else:
        _jalapeno.set_data_dir(_jalapeno.built_in_data_dir())


_find_installed_data()


def data_dir():
    """Where presets are read from (JALAPENO_DATA, the installed data, the source tree)."""
    return _jalapeno.data_dir()


def presets(kind):
    """Preset names of a kind: "models", "chips", "engines" or "systems"."""
    return _jalapeno.preset_names(kind)


def run(*args):
    """Runs `jalapeno ARGS...` in process; returns its stdout. Exit code 2 raises ConfigError."""
    code, out, err = _jalapeno.run_cli([str(a) for a in args])
    if code == 2:
        raise ConfigError(err.strip().removeprefix("error: "))
    if code != 0:
        raise RuntimeError(err.strip())
    return out


def _flags(options):
    """{"batch": 64, "json": True, "slo_tpot": "50ms"} -> ["--batch", "64", "--json", ...]."""
    args = []
    for key, value in options.items():
        if value is None or value is False:
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            args.append(flag)
        else:
            args += [flag, str(value)]
    return args


def step(**options):
    """One inference step (`jalapeno step ... --json`): model, hw, engine, batch, ctx, ..."""
    return json.loads(run("step", *_flags(options), "--json"))


def model(name, **options):
    """A model's parameters, bytes, KV per token and fit (`jalapeno model NAME --json`)."""
    return json.loads(run("model", name, *_flags(options), "--json"))


def compare(**options):
    """One model on several systems (`jalapeno compare ... --json`): systems="a,b" or a list."""
    if isinstance(options.get("systems"), (list, tuple)):
        options["systems"] = ",".join(options["systems"])
    return json.loads(run("compare", *_flags(options), "--json"))


def params(kind=None):
    """The declared keys of each kind of file (`jalapeno params [KIND] --json`): a list of
    {"name", "summary", "params": [{"path", "type", "default", "description", ...}]}."""
    return json.loads(run("params", *([kind] if kind else []), "--json"))["kinds"]


def plan(**options):
    """Plan search, or fleet sizing with rate= (`jalapeno plan ... --json`)."""
    return json.loads(run("plan", *_flags(options), "--json"))


def load_scenario(path):
    """A scenario file as a dict (checked: a bad scenario raises ConfigError). Relative
    paths in it (a trace) are made absolute, so that the dict runs from anywhere."""
    path = os.fspath(path)
    _jalapeno.check_scenario_file(path)
    spec = json.loads(_jalapeno.load_document(path))
    trace = spec.get("workload", {}).get("trace") if isinstance(spec.get("workload"), dict) else None
    if isinstance(trace, dict) and isinstance(trace.get("path"), str):
        trace["path"] = os.path.join(os.path.dirname(os.path.abspath(path)), trace["path"])
    return spec


def with_fields(spec, fields):
    """A copy of a scenario (or sweep) dict with dotted fields set:
    {"workload.arrivals.poisson": "8/s", "system.hw.hbm.bandwidth": "6TB/s"}. A preset named
    on the way ("hw": "h200-sxm") becomes {"extends": "h200-sxm"}, as in a sweep."""
    out = copy.deepcopy(spec)
    for path, value in fields.items():
        node = out
        parts = path.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            elif isinstance(child, str):
                child = node[part] = {"extends": child}
            node = child
        node[parts[-1]] = value
    return out


def serve(scenario, **fields):
    """Serves a scenario (a path or a dict; dotted fields set over it, `a__b=v` for
    "a.b") and returns the summary document of `serve --json` as a dict."""
    if isinstance(scenario, (str, os.PathLike)) and not fields:
        return json.loads(_jalapeno.serve_file(os.fspath(scenario)))
    if isinstance(scenario, (str, os.PathLike)):
        path = os.fspath(scenario)
        spec = json.loads(_jalapeno.load_document(path))
        # Errors name the file, as modified; relative paths start from its folder.
        name = f"{path} (with fields set from Python)"
    else:
        spec, name = scenario, os.path.join(os.getcwd(), "(a scenario from Python)")
    if fields:
        spec = with_fields(spec, {k.replace("__", "."): v for k, v in fields.items()})
    return json.loads(_jalapeno.serve(json.dumps(spec), name))


def _sweep_source(spec):
    """(text, name) of a sweep: a path (kept as given, as the command keeps it, so that
    the rows say the same), YAML text (with a newline, or a mapping in braces), or a dict."""
    if isinstance(spec, dict):
        return json.dumps(spec), os.path.join(os.getcwd(), "sweep.json")
    if isinstance(spec, str) and ("\n" in spec or spec.lstrip().startswith("{")):
        return spec, os.path.join(os.getcwd(), "sweep.yaml")
    path = os.fspath(spec)
    try:
        with open(path, encoding="utf-8") as f:
            return f.read(), path
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the sweep file ({e.strerror})") from e


_parsed = {}


def _run_points(text, name, scenario_text, points):
    """Rows (JSON text) of some points of a sweep: the work of one Dask task. The parsed
    sweep is kept for the worker's next chunk while the sweep and its scenario are the
    ones the client read."""
    key = (text, name, scenario_text)
    if key not in _parsed:
        _parsed.clear()
        _parsed[key] = _jalapeno.Sweep.parse(text, name)
    sweep_spec = _parsed[key]
    if sweep_spec.scenario_text != scenario_text:
        raise ConfigError(f"{name}: its scenario differs on this worker from the client's")
    return [sweep_spec.run_point(p) for p in points]


def sweep(spec, jobs=1, client=None, pareto=None, chunk=None, timeout=30):
    """Runs a sweep (a path, YAML text or a dict) and returns a SweepResult.

    jobs: threads on this machine. client: a dask.distributed Client (or a scheduler
    address) to spread the points over its workers in chunks of `chunk` points;
    `timeout` seconds to reach the scheduler. pareto: "X,Y" marks the Pareto-optimal
    points (max:X or min:X to say which way is better). The rows are the same, bit for
    bit and in the same order, wherever they ran."""
    text, name = _sweep_source(spec)
    sweep_spec = _jalapeno.Sweep.parse(text, name)  # anew: its scenario file may have changed
    n = sweep_spec.points()
    if client is None:
        rows = sweep_spec.run(jobs=jobs)
    else:
        owned = isinstance(client, str)  # connected here, so closed here
        client = _dask_client(client, timeout)
        try:
            workers = max(1, len(client.scheduler_info().get("workers", {})))
            size = chunk or max(1, -(-n // (4 * workers)))
            chunks = [list(range(i, min(n, i + size))) for i in range(0, n, size)]
            k = len(chunks)
            futures = client.map(_run_points, [text] * k, [name] * k,
                                 [sweep_spec.scenario_text] * k, chunks, pure=False)
            rows = [row for part in client.gather(futures) for row in part]
        finally:
            if owned:
                client.close()
    jsonl, csv = _jalapeno.finish_sweep(rows, pareto or "")
    return SweepResult(jsonl, csv)


def _dask_client(client, timeout):
    """A Client, or one connected to a scheduler address (ConfigError if unreachable)."""
    if not isinstance(client, str):
        return client
    try:
        from distributed import Client
    except ImportError as e:
        raise ConfigError("dask: the distributed package is not installed "
                          "(Debian: python3-distributed)") from e

    try:
        return Client(client, timeout=f"{timeout}s")
    except (OSError, TimeoutError) as e:
        raise ConfigError(f"dask: no scheduler reached at {client} within {timeout} s ({e})") from e


class SweepResult:
    """A sweep's rows: .rows (dicts, in point order), result["column"] (a NumPy array),
    .columns (their names), .csv and .jsonl (the text `jalapeno sweep` writes)."""

    def __init__(self, jsonl, csv):
        self.jsonl = jsonl
        self.csv = csv
        self.rows = [json.loads(line) for line in jsonl.splitlines()]
        self.columns = []
        seen = set()
        for row in self.rows:
            for key in row:
                if key not in seen:
                    seen.add(key)
                    self.columns.append(key)

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, column):
        """A column as a NumPy array: floats (NaN where a row has none) when every value is a
        number or missing, else objects."""
        import numpy as np

        if column not in self.columns:
            raise KeyError(f"{column}: not a column of this sweep")
        values = [row.get(column) for row in self.rows]
        if all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in values):
            return np.array([np.nan if v is None else float(v) for v in values])
        if all(isinstance(v, bool) or v is None for v in values):
            return np.array([bool(v) for v in values])
        return np.array(values, dtype=object)

    def ok(self):
        """A mask of the points that ran."""
        import numpy as np

        return np.array([row.get("status") == "ok" for row in self.rows])

    def write(self, directory):
        """sweep.csv and sweep.jsonl into directory, as `jalapeno sweep --out` does."""
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, "sweep.csv"), "w", encoding="utf-8") as f:
            f.write(self.csv)
        with open(os.path.join(directory, "sweep.jsonl"), "w", encoding="utf-8") as f:
            f.write(self.jsonl)
