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

TINY = ["--train-problems", "12", "--test-problems", "6", "--warm-up-steps", "20", "--steps", "3",
        "--prompts-per-step", "4", "--group-size", "4", "--collect-samples", "2", "--eval-samples", "2"]
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


def test_every_arm_runs_through_the_real_stages_and_a_rerun_resumes(tmp_path):
    """toy_world.py's five arms on a tiny world (few warm-up and training steps), one seed: every
    stage runs as a subprocess, summary.json and cost.json have their documented rows, and a rerun
    skips every finished stage. Whether Cobalt learns is measured over seeds by the experiment
    itself (RESULTS.md, "The toy world: Cobalt against turn-0-only training and multi-turn online RL"): one seed of a 12-problem evaluation is too noisy to assert
    it (seed 0 of the full settings on an AVX2-only CPU: Cobalt 52.1% at turn 1, turn-0-only 44.8%)."""
    out = str(tmp_path / "toy")
    argv = ["--seeds", "0", "--out", out, *TINY]
    means = toy_world.main(argv)
    assert set(means) == set(toy_world.ARMS)
    rows = json.loads((tmp_path / "toy" / "summary.json").read_text())
    assert {r["arm"] for r in rows} == set(toy_world.ARMS) and rows[0].keys() == {"arm", "seed", "turn", "pass_at_1"}
    assert sorted(r["turn"] for r in rows if r["arm"] == "cobalt") == [0, 1, 2]
    assert all(0.0 <= r["pass_at_1"] <= 1.0 for r in rows)
    cost = {r["arm"]: r for r in json.loads((tmp_path / "toy" / "cost.json").read_text())}
    assert set(cost) == set(toy_world.ARMS) - {"base"}
    for arm, row in cost.items():
        assert row["generated_tokens"] > 0 and row["sandbox_programs"] > 0 and row["train_wall_s"] > 0, arm
    # Cobalt's prompts are single steps: G completions of one program each; an online episode has up to 3.
    steps, prompts, G = 3, 4, 4
    assert cost["cobalt"]["sandbox_programs"] <= steps * prompts * G
    assert steps * prompts * G <= cost["online-grpo"]["sandbox_programs"] <= 3 * steps * prompts * G
    assert (tmp_path / "toy" / "pass_at_1.png").stat().st_size > 0
    assert toy_world.main(argv) == means  # every stage done already: nothing runs again
