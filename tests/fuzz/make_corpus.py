#!/usr/bin/env python3
"""Regenerates the seed corpora in tests/fuzz/corpus/ and the libFuzzer
dictionaries in tests/fuzz/dicts/ from data/.

Spec harnesses take one format byte, then the file: 'Y' (odd) for YAML, 'J'
(even) for JSON; each YAML preset is seeded in both forms. Run from anywhere:
    python3 tests/fuzz/make_corpus.py
It needs python3-yaml only to write the JSON forms of the YAML presets.
"""
import json
import pathlib
import shutil

root = pathlib.Path(__file__).resolve().parents[2]
data = root / "data"
out = root / "tests" / "fuzz" / "corpus"

try:
    import yaml
except ImportError:  # JSON forms need it
    yaml = None


def reset(name):
    d = out / name
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    return d


def put(d, name, text):
    (d / name).write_bytes(text.encode() if isinstance(text, str) else text)


def spec_seeds(d, kind):
    for f in sorted((data / kind).glob("*.yaml")):
        text = f.read_text()
        put(d, f.stem + ".yaml", "Y\n" + text)
        if yaml is not None:
            put(d, f.stem + ".json", "J\n" + json.dumps(yaml.safe_load(text), indent=1))


def head(path, lines):
    with open(path, encoding="utf-8") as f:
        return "".join(next(f) for _ in range(lines))


def main():
    units = reset("units")
    for i, q in enumerate([
            "141GB", "80GiB", "50MB", "4.8TB/s", "60GB/s", "900 GB/s", "989TFLOPS", "67TFLOPS",
            "2.2us", "5us", "25ms", "1s", "700W", "1.2kW", "5pJ", "1.98GHz", "12/s", "30/min",
            "2/h", "0.5", "1e3", "12", "-3", "0", "1.5e-7s", "1e308PB"]):
        put(units, f"q{i:02d}", q)

    d = reset("spec_reader")
    for kind in ("chips", "engines", "systems", "scenarios"):
        for f in sorted((data / kind).glob("*.yaml")):
            put(d, f"{kind}-{f.stem}.yaml", "Y\n" + f.read_text())
    for f in sorted((data / "models").glob("*.json"))[:3]:
        put(d, f"models-{f.stem}.json", "J\n" + f.read_text())
    if yaml is not None:
        for kind in ("chips", "systems"):
            for f in sorted((data / kind).glob("*.yaml"))[:2]:
                put(d, f"{kind}-{f.stem}.json",
                    "J\n" + json.dumps(yaml.safe_load(f.read_text())))

    for harness, kind in (("chip", "chips"), ("engine", "engines"), ("system", "systems"),
                          ("scenario", "scenarios")):
        spec_seeds(reset(harness), kind)

    d = reset("hf_config")
    for f in sorted((data / "models").glob("*.json")):
        shutil.copy(f, d / f.name)

    d = reset("lengths")
    for i, spec in enumerate([
            "512", "1", "uniform:100:2000", "normal:1024:256", "normal:1024:256:1:4096",
            "lognormal:1024:0.8:8192", "lognormal:512:0.6", "lognormal:256:0.6:2048",
            "file:@\n512\n1024\n77\n", "file:@\ninput,output\n100,20\n200,30\n4000,12\n"]):
        put(d, f"spec{i:02d}", spec)

    d = reset("trace")
    put(d, "azure-code.csv", head(data / "traces" / "azure_llm_2023_code.csv", 150))
    put(d, "azure-conv.csv", head(data / "traces" / "azure_llm_2023_conv.csv", 150))
    put(d, "azure-seconds.csv",
        "TIMESTAMP,ContextTokens,GeneratedTokens\n0,100,10\n0.5,200,20\n2.75,300,30\n")
    put(d, "burstgpt.csv",
        "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n"
        "3,ChatGPT,100,0,100,Conversation log\n5,ChatGPT,472,18,490,Conversation log\n"
        "5,GPT-4,1024,0,1024,API log\n9,GPT-4,80,200,280,API log\n")
    put(d, "trace.jsonl",
        '{"timestamp": 10.5, "input_tokens": 100, "output_tokens": 20}\n\n'
        '{"timestamp": 12, "input_tokens": 200, "output_tokens": 40}\n'
        '{"output_tokens": 1, "input_tokens": 3, "timestamp": 12.0}\n')

    d = reset("cli")
    for i, line in enumerate([
            "presets", "run", "--help", "step\n--help",
            "step\n--model\nllama-3.1-8b\n--hw\nh200-sxm\n--batch\n64\n--ctx\n1024",
            "step\n--model\nllama-3.1-8b\n--hw\nh200-sxm\n--phase\nprefill\n--tokens\n2048\n--json",
            "step\n--model\nllama-3.1-70b\n--hw\nhgx-h100\n--tp\n8\n--engine\ntorch-eager",
            "step\n--model\nllama-3.1-8b\n--hw\nh100-sxm\n--topology\ntorus-4x4x4\n--tp\n4\n"
            "--pp\n2\n--overlap\n--layers\n8",
            "serve\n--model\nllama-3.1-8b\n--hw\nh100-sxm\n--rate\n20\n--requests\n5000\n"
            "--input-len\nlognormal:1024:0.8:8192\n--output-len\n256\n--slo-ttft\n1\n--slo-tpot\n"
            "0.05",
            "serve\n" + str(data / "scenarios" / "code-trace.yaml").replace(str(root) + "/", "")
            + "\n--out\nout/\n--timeline",
            "serve\n--offline\n--requests\n100\n--max-seqs\n64\n--max-tokens\n8192\n"
            "--block-size\n16\n--no-chunked-prefill\n--preemption\nswap",
            "serve\n--concurrency\n8\n--think\n0.5\n--requests\n100\n--router\nleast-kv\n"
            "--replicas\n2",
            "serve\n--trace\ndata/traces/azure_llm_2023_conv.csv\n--speedup\n4\n--loops\n2\n"
            "--seed\n7",
            "plan\n--model\nllama-3.1-70b\n--hw\nhgx-h200\n--workload\n1024:256\n--slo-tpot\n0.05"
            "\n--top\n5",
            "plan\n--model\nllama-3.1-8b\n--hw\ngb200-nvl72\n--chips\n8\n--simulate\n2\n"
            "--simulate-requests\n200\n--json",
            "bench\n--requests\n1000\n--load\n0.8", "validate\n--summary", "decode-table",
            "frobnicate"]):
        put(d, f"cmd{i:02d}", line)
    for name, line in [
            ("cmd_compare", "compare\n--model\nllama-3.1-8b\n--systems\nhgx-h200,gb200-nvl72\n"
             "--curve\n--no-simulate\n--json"),
            ("cmd_params", "params\nchip\n--markdown"),
            ("cmd_serve_preset", "serve\npoisson-lognormal\n--requests\n20")]:
        put(d, name, line)


def yaml_keys(node, keys):
    if isinstance(node, dict):
        for k, v in node.items():
            keys.add(str(k))
            yaml_keys(v, keys)
    elif isinstance(node, list):
        for v in node:
            yaml_keys(v, keys)


def write_dict(name, tokens):
    def quote(t):
        return '"' + "".join(
            c if 32 <= ord(c) < 127 and c not in '"\\' else f"\\x{ord(c):02X}"
            for c in t) + '"'
    d = root / "tests" / "fuzz" / "dicts"
    d.mkdir(exist_ok=True)
    lines = [f"# {name}: generated by make_corpus.py"]
    lines += [quote(t) for t in sorted(set(tokens))]
    (d / f"{name}.dict").write_text("\n".join(lines) + "\n")


UNITS = ["B", "KB", "MB", "GB", "TB", "PB", "KiB", "MiB", "GiB", "TiB", "B/s", "GB/s", "TB/s",
         "GiB/s", "FLOPS", "GFLOPS", "TFLOPS", "PFLOPS", "ns", "us", "ms", "s", "W", "kW", "MW",
         "pJ", "nJ", "uJ", "mJ", "J", "Hz", "kHz", "MHz", "GHz", "/s", "/min", "/h", "e", "e-",
         "e+", ".", "-", "inf", "nan", "0x", "1e308", "4.9e-324", "2.2250738585072014e-308",
         "9223372036854775807", "18446744073709551616"]
NUMBERS = ["0", "-1", "1e308", "1e-310", "nan", "inf", "9223372036854775807",
           "9223372036854775808", "4294967296", "-9223372036854775808", "0.5"]


def dictionaries():
    write_dict("units", UNITS)
    yaml_syntax = [": ", "- ", "{", "}", "[", "]", ",", "&a", "*a", "? ", "!!str", "!!int",
                   "!!map", "<<: ", "---", "...", "|", ">", "'", '"', "~", "null", "true",
                   "false", "#"]
    json_syntax = ["{", "}", "[", "]", ",", ":", '"', "null", "true", "false", "1e400"]
    spec = set(yaml_syntax + json_syntax + UNITS + NUMBERS)
    for kind in ("chips", "engines", "systems", "scenarios"):
        keys = set()
        if yaml is not None:
            for f in (data / kind).glob("*.yaml"):
                yaml_keys(yaml.safe_load(f.read_text()), keys)
        tokens = set(yaml_syntax + json_syntax + UNITS + NUMBERS) | keys
        tokens |= {"torus", "ring", "switched", "leaf_spine", "flash", "batched_matmul",
                   "recompute", "swap", "poisson", "gamma", "constant", "offline", "closed_loop",
                   "round-robin", "least-outstanding", "least-kv", "h200-sxm", "llama-3.1-8b",
                   "fused", "../traces/azure_llm_2023_code.csv",
                   "../traces/azure_llm_2023_conv.csv", "lognormal:1024:0.8:8192"}
        spec |= tokens
        write_dict({"chips": "chip", "engines": "engine", "systems": "system",
                    "scenarios": "scenario"}[kind], tokens)
    write_dict("spec_reader", spec)
    hf = set(json_syntax + NUMBERS)
    for f in (data / "models").glob("*.json"):
        hf |= {f'"{k}"' for k in json.loads(f.read_text())}
    hf |= {'"bfloat16"', '"float16"', '"float32"', '"LlamaForCausalLM"', '"Qwen2ForCausalLM"'}
    write_dict("hf_config", hf)
    write_dict("lengths", ["uniform:", "normal:", "lognormal:", "file:", "file:@", ":", "\n",
                           ","] + NUMBERS)
    write_dict("trace", ["TIMESTAMP,ContextTokens,GeneratedTokens",
                         "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type",
                         '"timestamp"', '"input_tokens"', '"output_tokens"', "{", "}", ":", ",",
                         "\r\n", "\n", "\xEF\xBB\xBF", "2023-11-16 18:17:03.9799600",
                         "2023-02-29 ", "T", "ChatGPT", "Conversation log", "API log"] + NUMBERS)
    flags = set()
    import re
    for m in re.finditer(r'add_(?:option|flag)\("(--[a-z-]+)"',
                         (root / "src" / "cli" / "app.cpp").read_text()):
        flags.add(m.group(1))
    presets = [f.stem for kind, ext in (("models", "json"), ("chips", "yaml"),
                                        ("engines", "yaml"), ("systems", "yaml"))
               for f in (data / kind).glob(f"*.{ext}")]
    write_dict("cli", sorted(flags) + presets + [
        "step", "serve", "plan", "bench", "validate", "presets", "run", "decode-table", "\n",
        "compare", "params", "hgx-h200,gb200-nvl72", "poisson-lognormal", "hbm-and-batch",
        "prefill", "decode", "swap", "recompute", "least-kv", "round-robin", "--help",
        "lognormal:1024:0.8:8192", "uniform:1:100", "file:", "data/scenarios/default.yaml",
        "data/traces/azure_llm_2023_code.csv", "data/models/llama-3.1-8b.json"] + NUMBERS)


if __name__ == "__main__":
    main()
    dictionaries()
