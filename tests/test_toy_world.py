"""The toy world (experiments/toy_world.py): split.py on toy trajectories with real multi-turn
structure, and Cobalt learning what turn-0 training cannot, through the four real stages."""
import collections
import json
import os
import sys


import rollout
import split
from scripted import ScriptedPolicy
from tiny_model import build_tokenizer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "experiments"))
import toy_world  # noqa: E402

# The experiment's world and training (48 training problems, 400 warm-up steps, 100 steps of 8
# prompts), one seed and 12 held-out problems; the real stages, as subprocesses. About 5.5 minutes
# on 2 cores (RESULTS.md, "The test in the suite"). A smaller world (24 training problems, 250 warm-up
# steps, 60-100 steps) did not learn reliably: the warm-up then leaves the analysis comment wrong
# too often, and turn-0-only training once reached 70% at turn 2 by a lucky drift.
SMALL = ["--test-problems", "12", "--arms", "base", "turn0", "cobalt"]  # the three arms it checks
MARGIN = 0.2
MEMORISED = 'w = input()\nprint({public}.get(w, w))'  # passes the public tests only


def memorising_reply(problem: dict) -> str:
    """A program that prints the public tests' expected outputs and echoes anything else."""
    tests = json.loads(problem["public_test_cases"])
    table = {i.strip(): o for i, o in zip(tests["inputs"], tests["outputs"])}
    return f"```python\n{MEMORISED.format(public=table)}\n```"


def test_split_cuts_the_known_toy_trajectories(tmp_path):
    train, _ = toy_world.make_problems(6, 0)
    easy, hard = train[0], train[1]
    right = {p["id"]: p["source"].split(":")[1] for p in (easy, hard)}
    wrong = [op for op in toy_world.OPERATIONS if op != right[hard["id"]]]
    fix, miss = toy_world.reply(right[hard["id"]]), [toy_world.reply(op) for op in wrong]
    memorised = memorising_reply(hard)
    script = {
        easy["question"]: [[toy_world.reply(right[easy["id"]])] * 3] * 5,  # every turn-0 program passes: too easy
        hard["question"]: [
            [miss[0], fix, fix],              # s0: fixed at turn 1, kept at turn 2 -> t1; "solved" stops at t2
            [miss[0], miss[1], fix],          # s1: fixed at turn 2 -> t1, t2, t3
            [fix, fix, miss[0]],              # s2: right at once, twice -> "solved" stops at t1: no prompt
            [miss[1], miss[1], miss[1]],      # s3: never fixed: not a candidate
            [memorised, memorised, fix],      # s4: public tests pass twice -> t1; "public" stops at t2
        ],
    }
    trajectories = str(tmp_path / "trajectories.jsonl")
    rollout.write_trajectories(ScriptedPolicy(script), [easy, hard], trajectories, n_samples=5, turns=2)
    records = [json.loads(line) for line in open(trajectories)]
    assert records[1]["all_pass_rates"] == [[0.0, 1.0, 1.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0],
                                            [1 / 3, 1 / 3, 1.0]]
    assert "Expected Output:\n" + json.loads(hard["public_test_cases"])["outputs"][0] in \
        records[1]["conversations"][0][3]["content"]

    tokenizer = str(tmp_path / "tokenizer")
    build_tokenizer(toy_world.fixed_texts()).save_pretrained(tokenizer)
    stats = collections.Counter()
    count = split.prompt_token_counter(tokenizer)
    prompts = [p for r in records for p in split.split_problem(r, "f", stats=stats, count_tokens=count)]
    h = hard["id"]
    # Candidates s0, s1, s2 (diff 1) and s4 (diff 2/3): four, so down-sampling keeps all, smallest diff first.
    assert [(p["example_id"], p["prev_best_pass_rate"]) for p in prompts] == [
        (f"{h}/t0", 0.0), (f"{h}/t1/s4", 1 / 3), (f"{h}/t1/s0", 0.0), (f"{h}/t1/s1", 0.0), (f"{h}/t2/s1", 0.0),
        (f"{h}/t3/s1", 1.0)]
    assert stats["too_easy"] == 1 and stats["trajectories_kept"] == 4
    assert (stats["stopped_solved"], stats["stopped_public"], stats["stopped_end"]) == (2, 1, 1)
    by_id = {p["example_id"]: p for p in prompts}
    assert by_id[f"{h}/t2/s1"]["conversation"] == records[1]["conversations"][1][:6]
    assert by_id[f"{h}/t2/s1"]["conversation"][-1]["role"] == "user"
    assert count(by_id[f"{h}/t3/s1"]["conversation"]) < 200  # the toy tokenizer's point

    # split.py --max-turn 0, the turn-0-only baseline, keeps only the turn-0 prompt.
    only_turn0 = [p for r in records for p in split.split_problem(r, "f", max_turn=0)]
    assert [p["example_id"] for p in only_turn0] == [f"{h}/t0"]


def test_cobalt_learns_to_use_feedback_where_turn0_training_cannot(tmp_path):
    """The real stages on a smaller toy world, one seed: base, turn-0-only and Cobalt training."""
    means = toy_world.main(["--seeds", "0", "--out", str(tmp_path / "toy"), *SMALL])
    margin = max(means["cobalt"][1] - means["turn0"][1], means["cobalt"][2] - means["turn0"][2])
    print(f"Pass@1 turns 0/1/2: base {means['base']}, turn0 {means['turn0']}, cobalt {means['cobalt']}")
    assert json.loads((tmp_path / "toy" / "summary.json").read_text())[0].keys() == {"arm", "seed", "turn", "pass_at_1"}
    # Measured (seed 0, 2026-12-01, 5 min 29 s on 2 shared cores, load ~2): Pass@1 at turns 0/1/2
    # base 37.5/34.4/32.3, turn-0-only 41.7/40.6/30.2, Cobalt 42.7/90.6/65.6: margin 0.50 (turn 1).
    # The controls, each run once through this test: the loss's sign flipped in
    # grpo.policy_loss: both trained arms 0.0/0.0/0.0 (margin 0); the loss detached from the
    # model: both arms equal to base (margin 0); training on turn-0 prompts is the turn0 arm itself.
    assert margin > MARGIN
