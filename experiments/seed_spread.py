"""The spread over seeds of one-command runs: Pass@1 per turn of the starting and the trained model.

    for s in 0 1 2; do python pipeline.py --run-dir runs/seed$s --seed $s; done
    python experiments/seed_spread.py runs/seed0 runs/seed1 runs/seed2

Reads RUN/eval/base.summary.json and RUN/eval/cobalt.summary.json of each run folder (and
RUN/train/metrics.jsonl for the training reward); prints one row per seed and turn (Pass@1,
and the mean share of hidden tests passed, which moves before Pass@1 does), then the mean,
standard deviation (n - 1) and range over seeds of each.
"""
import argparse
import json
import os
import statistics


def load(run: str) -> dict:
    summaries = {}
    for label in ("base", "cobalt"):
        with open(os.path.join(run, "eval", f"{label}.summary.json"), encoding="utf-8") as f:
            summaries[label] = json.load(f)
    with open(os.path.join(run, "train", "metrics.jsonl"), encoding="utf-8") as f:
        rewards = [json.loads(line)["charts/reward_mean"] for line in f if "charts/reward_mean" in line]
    return {"summaries": summaries, "rewards": rewards}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", help="run folders written by pipeline.py")
    args = parser.parse_args(argv)
    runs = {run: load(run) for run in args.runs}
    turns = min(s["turns"] for r in runs.values() for s in r["summaries"].values())
    metrics = {"Pass@1": "pass_at_1", "hidden tests": "hidden_pass_rate"}
    print(f"{'run':>10} {'turn':>5}" + "".join(f"{m + ' ' + k:>20}" for m in metrics for k in ("base", "cobalt"))
          + "   training reward per step")
    columns = {(m, t): [] for m in metrics for t in range(turns)}  # (base %, cobalt %) per seed
    for run, r in runs.items():
        for t in range(turns):
            row = ""
            for m, key in metrics.items():
                base, cobalt = (100 * r["summaries"][k][key][t] for k in ("base", "cobalt"))
                columns[m, t].append((base, cobalt))
                row += f"{base:20.1f}{cobalt:20.1f}"
            rewards = " ".join(f"{x:+.2f}" for x in r["rewards"]) if t == 0 else ""
            print(f"{os.path.basename(run.rstrip('/')):>10} {t:>5}{row}   {rewards}")
    for (m, t), pairs in columns.items():
        for name, pick in (("base", 0), ("cobalt", 1), ("cobalt - base", None)):
            values = [c[1] - c[0] if pick is None else c[pick] for c in pairs]
            sd = statistics.stdev(values) if len(values) > 1 else 0.0
            print(f"turn {t} {m:>12} {name:>13}: mean {statistics.mean(values):+5.1f}, sd {sd:4.1f}, "
                  f"range {min(values):+5.1f} .. {max(values):+5.1f} over {len(values)} seeds")


if __name__ == "__main__":
    main()
