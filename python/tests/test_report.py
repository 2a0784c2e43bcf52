"""`jalapeno report`: each kind of result becomes one self-contained page whose every plot
renders in headless Chromium (Debian's) with no error; a screenshot of each is saved."""
import os
import re
import shutil
import subprocess

import pytest

SOURCE = os.environ.get("JALAPENO_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.environ.get("JALAPENO_BINARY", os.path.join(SOURCE, "build", "jalapeno"))
BUILD = os.environ.get("JALAPENO_BUILD_DIR", os.path.join(SOURCE, "build"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def jalapeno(*args, cwd):
    run = subprocess.run([BINARY, *map(str, args)], capture_output=True, text=True, cwd=cwd)
    assert run.returncode == 0, run.stderr
    return run.stdout


def chromium(*args):
    # As root (CI) Chromium needs --no-sandbox; the virtual time budget lets the page's
    # scripts finish before the DOM is dumped or the screenshot taken.
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                           "--hide-scrollbars", "--virtual-time-budget=30000", *args],
                          capture_output=True, text=True, timeout=180)


def results(tmp):
    """One result of each kind, made by the command."""
    sweep = tmp / "sweep.yaml"
    sweep.write_text(
        "scenario: " + os.path.join(SOURCE, "data", "scenarios", "poisson-lognormal.yaml") + "\n"
        "axes:\n"
        "  workload.arrivals.poisson: {from: 2/s, to: 12/s, points: 3}\n"
        "  system.hw.hbm.bandwidth: [3TB/s, 4.8TB/s]\n"
        "  workload.requests: [200]\n")
    jalapeno("sweep", sweep, "--out", tmp / "sweep", "--pareto",
             "tokens_per_s_per_user,throughput.output_tokens_per_s", cwd=tmp)
    jalapeno("serve", os.path.join(SOURCE, "data", "scenarios", "energy-cost.yaml"),
             "--requests", 300, "--out", tmp / "serve", cwd=tmp)
    (tmp / "plan.json").write_text(jalapeno("plan", "--model", "llama-3.1-70b", "--hw",
                                            "hgx-h200", "--json", cwd=tmp))
    (tmp / "step.json").write_text(jalapeno("step", "--model", "llama-3.1-8b", "--hw", "h200-sxm",
                                            "--batch", 64, "--json", cwd=tmp))
    return {"serve": tmp / "serve", "sweep": tmp / "sweep", "plan": tmp / "plan.json",
            "step": tmp / "step.json"}


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (scripts/setup.sh)")
def test_every_plot_of_every_report_renders(tmp_path):
    shots = os.path.join(BUILD, "report-screenshots")
    os.makedirs(shots, exist_ok=True)
    expected_plots = {"serve": 7, "sweep": 4, "plan": 2, "step": 2}
    for kind, result in results(tmp_path).items():
        page = tmp_path / f"{kind}.html"
        printed = jalapeno("report", result, "-o", page, cwd=tmp_path)
        assert f"{expected_plots[kind]} plots" in printed, printed
        html = page.read_text()
        # Self-contained: no script, style or frame fetched from anywhere.
        assert not re.search(r"<(script|link|iframe|img)[^>]+(src|href)=", html)
        dom = chromium("--dump-dom", page.as_uri())
        assert dom.returncode == 0, dom.stderr
        body = re.search(r'<body data-plots="(\d+)" data-rendered="(\d+)" data-errors="([^"]*)"',
                         dom.stdout)
        assert body, dom.stdout[:500]
        plots, rendered, errors = int(body[1]), int(body[2]), body[3]
        assert plots == expected_plots[kind], kind
        assert rendered == plots, f"{kind}: {rendered} of {plots} plots rendered"
        assert errors == "", f"{kind}: {errors}"
        # Every plot div holds a drawn SVG.
        assert dom.stdout.count('class="main-svg"') >= plots
        shot = tmp_path / f"{kind}.png"
        taken = chromium("--window-size=1150,2400", f"--screenshot={shot}", page.as_uri())
        assert taken.returncode == 0, taken.stderr
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
        shutil.copy(shot, os.path.join(shots, f"{kind}.png"))


def test_a_result_it_cannot_plot_is_exit_2_naming_it(tmp_path):
    scenario = os.path.join(SOURCE, "data", "scenarios", "default.yaml")
    run = subprocess.run([BINARY, "report", scenario], capture_output=True, text=True)
    assert run.returncode == 2 and "default.yaml" in run.stderr and "not JSON" in run.stderr
    (tmp_path / "other.json").write_text('{"schema": "something/1"}')
    run = subprocess.run([BINARY, "report", tmp_path / "other.json"], capture_output=True, text=True)
    assert run.returncode == 2 and "schema something/1" in run.stderr
    run = subprocess.run([BINARY, "report", tmp_path], capture_output=True, text=True)
    assert run.returncode == 2 and "sweep.jsonl" in run.stderr
    (tmp_path / "step.json").write_text(subprocess.run(
        [BINARY, "step", "--model", "llama-3.1-8b", "--hw", "h200-sxm", "--json"],
        capture_output=True, text=True).stdout)
    run = subprocess.run([BINARY, "report", tmp_path / "step.json", "-o", tmp_path / "x.html"],
                         capture_output=True, text=True,
                         env=dict(os.environ, JALAPENO_PLOTLY_JS="/nonexistent/plotly.js"))
    assert run.returncode == 2 and "/nonexistent/plotly.js" in run.stderr
