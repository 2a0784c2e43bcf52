"""`python3 -m jalapeno sweep SWEEP --dask ADDRESS [--out DIR] [--pareto X,Y] [--format F]
[--timeout S]`: what `jalapeno sweep --dask` runs. The points go to the Dask cluster at
ADDRESS; the files and the summary line are those of a local `jalapeno sweep`."""
import argparse
import os
import sys

import jalapeno


def main(argv):
    parser = argparse.ArgumentParser(prog="jalapeno sweep --dask")
    parser.add_argument("command", choices=["sweep"])
    parser.add_argument("sweep")
    parser.add_argument("--dask", required=True)
    parser.add_argument("--out")
    parser.add_argument("--pareto")
    parser.add_argument("--format", default="csv", choices=["csv", "jsonl"])
    parser.add_argument("--timeout", type=float, default=30)
    args = parser.parse_args(argv)
    try:
        result = jalapeno.sweep(args.sweep, client=args.dask, pareto=args.pareto,
                                timeout=args.timeout)
    except jalapeno.ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not args.out:
        sys.stdout.write(result.csv if args.format == "csv" else result.jsonl)
        return 0
    result.write(args.out)
    errors = int((~result.ok()).sum())
    front = int(result["pareto"].sum()) if "pareto" in result.columns else 0
    marked = f"; {front} on the Pareto front" if args.pareto else ""
    print(f"{len(result)} points ({len(result) - errors} ran, {errors} could not: see their "
          f"'error'){marked} -> {os.path.join(args.out, 'sweep.csv')}, "
          f"{os.path.join(args.out, 'sweep.jsonl')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
