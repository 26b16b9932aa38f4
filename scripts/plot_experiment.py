#!/usr/bin/python3
"""Plots of an `understudy experiment` result folder (for /usr/bin/python3 with Debian's
python3-matplotlib and python3-numpy; plots only, never the core).

    /usr/bin/python3 scripts/plot_experiment.py experiments/results/<name>

Reads runs.csv and each run's events.csv and writes, per session, into <folder>/plots/:
  <session>-reward.png   blind IoU (rolling mean) over annotations, one line per seed, with the
                         gate's transitions marked (green: opened, red: closed)
  <session>-effort.png   share of drawing time saved so far, over annotations (mean over seeds)
  <session>-agents.png   every agent and baseline side by side: blind IoU and seconds saved, mean
                         and 95% confidence interval across seeds
  <session>-orders.png   active learning against the random order (when the grid has both)
"""

import csv
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228]
WINDOW = 25  # annotations in the rolling mean


def t95(df):
    if df <= 0:
        return float("nan")
    return T95[df - 1] if df <= len(T95) else 1.96


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return float("nan")


def annotations(events_path):
    """The prompt annotations of one run, in replay order."""
    rows = []
    for row in read_csv(events_path):
        if row["type"] != "annotation" or not row["annotation_index"]:
            continue
        rows.append(row)
    return rows


def gate_marks(events_path):
    marks = []
    for row in read_csv(events_path):
        if row["gate_event"]:
            for change in row["gate_event"].split(";"):
                marks.append((int(row["annotation_index"] or 0), change.split(":", 1)[-1]))
    return marks


def rolling(values, window):
    out, acc = [], []
    for v in values:
        acc.append(v)
        if len(acc) > window:
            acc.pop(0)
        finite = [x for x in acc if not math.isnan(x)]
        out.append(sum(finite) / len(finite) if finite else float("nan"))
    return out


def label(run):
    return run["agent"] if run["gate"] == "-" else f'{run["agent"]} (gate {run["gate"]})'


def mean_ci(values):
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return float("nan"), float("nan")
    m = sum(values) / len(values)
    if len(values) < 2:
        return m, float("nan")
    sd = math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1))
    return m, t95(len(values) - 1) * sd / math.sqrt(len(values))


def plot_reward(root, session, runs, out):
    fig, ax = plt.subplots(figsize=(9, 5))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    groups = {}
    for run in runs:
        if run["order"] != "random":
            continue
        groups.setdefault(label(run), []).append(run)
    marked_open = marked_closed = False
    for i, (name, members) in enumerate(sorted(groups.items())):
        colour = colours[i % len(colours)]
        gated = members[0]["gate"] != "-"
        for j, run in enumerate(members):
            path = os.path.join(root, run["dir"], "events.csv")
            rows = annotations(path)
            x = [int(r["annotation_index"]) for r in rows]
            y = rolling([number(r["blind_iou"]) for r in rows], WINDOW)
            ax.plot(x, y, color=colour, lw=1.2 if gated else 0.8, ls="-" if gated else "--",
                    alpha=0.9 if gated else 0.6, label=name if j == 0 else None)
            if not gated:
                continue
            for at, change in gate_marks(path):
                opened = change.endswith("->live")
                ax.axvline(at, color="green" if opened else "red", lw=0.8, alpha=0.5,
                           label=("gate opened" if opened and not marked_open else
                                  "gate closed" if not opened and not marked_closed else None))
                marked_open = marked_open or opened
                marked_closed = marked_closed or not opened
    ax.set_xlabel("annotation")
    ax.set_ylabel(f"blind IoU (rolling mean of {WINDOW})")
    ax.set_ylim(0, 1)
    ax.set_title(f"{session}: blind reward, random order, one line per seed")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def plot_effort(root, session, runs, out):
    fig, ax = plt.subplots(figsize=(9, 5))
    groups = {}
    for run in runs:
        if run["order"] == "random":
            groups.setdefault(label(run), []).append(run)
    for name, members in sorted(groups.items()):
        curves = []
        for run in members:
            rows = annotations(os.path.join(root, run["dir"], "events.csv"))
            spent = np.cumsum([number(r["seconds_spent"]) for r in rows])
            hand = np.cumsum([number(r["seconds_draw"]) for r in rows])
            curves.append(1.0 - spent / hand)
        n = min(len(c) for c in curves)
        stacked = np.array([c[:n] for c in curves])
        mean = stacked.mean(axis=0)
        ax.plot(np.arange(1, n + 1), 100 * mean, lw=1.3,
                ls="-" if members[0]["gate"] != "-" else "--", label=name)
        if len(curves) > 1:
            lo, hi = stacked.min(axis=0), stacked.max(axis=0)
            ax.fill_between(np.arange(1, n + 1), 100 * lo, 100 * hi, alpha=0.12)
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xlabel("annotation")
    ax.set_ylabel("drawing time saved so far (%)")
    ax.set_title(f"{session}: effort saved over time (mean over seeds; band: min to max)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def plot_agents(session, runs, out):
    groups = {}
    for run in runs:
        if run["order"] == "random":
            groups.setdefault(label(run), []).append(run)
    names = sorted(groups)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for ax, key, title, scale in ((axes[0], "blind_iou_mean", "blind IoU", 1.0),
                                  (axes[1], "seconds_saved_rate", "drawing time saved (%)", 100.0)):
        means, errs = [], []
        for name in names:
            m, h = mean_ci([number(r[key]) for r in groups[name]])
            means.append(scale * m)
            errs.append(0 if math.isnan(h) else scale * h)
        colours = ["tab:blue" if groups[n][0]["gate"] != "-" else "tab:gray" for n in names]
        ax.bar(range(len(names)), means, yerr=errs, color=colours, capsize=4)
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=30, ha="right", fontsize=8)
        ax.set_title(title)
        ax.axhline(0, color="black", lw=0.6)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(f"{session}: agent (blue) against baselines (grey), random order, "
                 "mean and 95% CI across seeds")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def plot_orders(root, session, runs, out):
    active = [r for r in runs if r["order"] == "active"]
    if not active:
        return False
    fig, ax = plt.subplots(figsize=(9, 5))
    for order, style in (("random", "-"), ("active", "--")):
        groups = {}
        for run in runs:
            if run["order"] == order and run["gate"] != "-":
                groups.setdefault(label(run), []).append(run)
        for name, members in sorted(groups.items()):
            curves = []
            for run in members:
                rows = annotations(os.path.join(root, run["dir"], "events.csv"))
                curves.append(rolling([number(r["blind_iou"]) for r in rows], WINDOW))
            n = min(len(c) for c in curves)
            mean = np.nanmean(np.array([c[:n] for c in curves]), axis=0)
            ax.plot(np.arange(1, n + 1), mean, ls=style, lw=1.3, label=f"{name}, {order}")
    ax.set_xlabel("annotation")
    ax.set_ylabel(f"blind IoU (rolling mean of {WINDOW}, mean over seeds)")
    ax.set_ylim(0, 1)
    ax.set_title(f"{session}: active learning (least confidence) against the random order")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return True


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: plot_experiment.py RESULTS_FOLDER")
    root = sys.argv[1]
    runs = read_csv(os.path.join(root, "runs.csv"))
    if not runs:
        sys.exit(f"{root}/runs.csv has no runs")
    plots = os.path.join(root, "plots")
    os.makedirs(plots, exist_ok=True)
    written = []
    for session in sorted({r["session"] for r in runs}):
        mine = [r for r in runs if r["session"] == session]
        for name, make in (("reward", lambda p: plot_reward(root, session, mine, p)),
                           ("effort", lambda p: plot_effort(root, session, mine, p)),
                           ("agents", lambda p: plot_agents(session, mine, p))):
            path = os.path.join(plots, f"{session}-{name}.png")
            make(path)
            written.append(path)
        path = os.path.join(plots, f"{session}-orders.png")
        if plot_orders(root, session, mine, path):
            written.append(path)
    print("plots: " + ", ".join(written))


if __name__ == "__main__":
    main()
