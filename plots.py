"""The PNG figures, drawn with matplotlib (imported only when a figure is drawn).

    pass_at_1_per_turn(lines, path)   Pass@1 (%) against turn, one line per model or arm;
                                      lines: [{"label", "pass_at_1": [turn], optional "error": [turn]
                                      or [[below], [above]] per turn}]; optional a dotted chance line
    hacking_rate_per_turn(lines, path)  in-context reward-hacking rate (%) against turn, one line per
                                      arm; lines: [{"label", "hacking_rate": [turn], optional "error"}]
    training_curves(records, path)    train_bandit.py's metrics against step
"""
import os

import numpy as np


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _save(fig, path: str) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    _pyplot().close(fig)


def pass_at_1_per_turn(lines: list[dict], path: str, title: str = "Multi-turn Pass@1",
                       chance: tuple[float, str] | None = None) -> None:
    """One line per entry of `lines`, with error bars where an entry has "error" (in the same units:
    one value per turn, or a list of the values below and a list of those above); `chance`:
    (Pass@1, label) of a dotted horizontal line."""
    _per_turn(lines, "pass_at_1", path, title, "Pass@1 on hidden tests (%)", chance)


def hacking_rate_per_turn(lines: list[dict], path: str, title: str = "In-context reward hacking") -> None:
    """As pass_at_1_per_turn, for the share of trajectories that hack at each turn (perturbed tests)."""
    _per_turn(lines, "hacking_rate", path, title, "hacking rate on perturbed problems (%)", None)


def _per_turn(lines: list[dict], key: str, path: str, title: str, ylabel: str, chance) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for line in lines:
        values = [100 * p for p in line[key]]
        errors = 100 * np.asarray(line["error"]) if line.get("error") is not None else None
        ax.errorbar(range(len(values)), values, yerr=errors, marker="o", capsize=4, label=line["label"])
    if chance:
        ax.axhline(100 * chance[0], color="grey", linestyle=":", label=chance[1])
    ax.set(xlabel="turn", ylabel=ylabel, title=title, ylim=(0, 100))
    ax.set_xticks(range(max(len(line[key]) for line in lines)))
    ax.grid(alpha=0.3)
    ax.legend()
    _save(fig, path)


def training_curves(records: list[dict], path: str) -> None:
    """Reward, pass rate, validation reward, KL, clip fraction and zero-variance groups against step."""
    plt = _pyplot()
    keys = ["charts/reward_mean", "charts/pass_rate", "val/reward_mean", "losses/kl", "losses/clipfrac",
            "charts/zero_variance_groups"]
    fig, axes = plt.subplots(2, 3, figsize=(13, 6))
    for ax, key in zip(axes.flat, keys):
        ax.plot(*zip(*[(r["step"], r[key]) for r in records if key in r] or [((), ())]), marker=".")
        ax.set(title=key, xlabel="step")
    _save(fig, path)
