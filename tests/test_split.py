"""split.py on small hand-made trajectories, including the cases where the authors' script is wrong."""
import json
import random
import subprocess
import sys

import pytest

import split
from problems import BadInputError
from tiny_model import build_tokenizer

TESTS_8 = json.dumps({"inputs": [str(i) for i in range(8)], "outputs": [str(i) for i in range(8)]})
TESTS_2_PUBLIC = json.dumps({"inputs": ["0", "1"], "outputs": ["0", "1"]})


def conversation(n_programs: int, sample: int = 0) -> list[dict]:
    messages = [{"role": "system", "content": "sys"}, {"role": "user", "content": "problem"}]
    for t in range(n_programs):
        messages += [{"role": "assistant", "content": f"program {sample}.{t}"},
                     {"role": "user", "content": f"feedback {sample}.{t}"}]
    return messages


def trajectory_record(rates, public=None, pid="p"):
    """A record in collect.py's schema; `public[s][t]` defaults to "all tests passed"."""
    public = public or [[r == 1.0 for r in sample] for sample in rates]
    execs = [[{"has_code": True, "public_passing": [ok, True], "all_passing": []} for ok in sample] for sample in public]
    return {"id": pid, "difficulty": "easy", "test_cases": TESTS_8, "conversations": [conversation(len(r), s) for s, r in enumerate(rates)],
            "all_pass_rates": rates, "hidden_pass_rates": rates, "exec_results": execs}


# ---------------------------------------------------------------- pass rates

def test_pass_rates_of_collect_records_and_no_code_is_not_a_public_pass():
    record = trajectory_record([[0.5, 1.0]])
    record["exec_results"][0][0] = {"has_code": False, "public_passing": [], "all_passing": []}
    rates, public = split.read_pass_rates(record, "f, line 1")
    assert rates == [[0.5, 1.0]] and public == [[False, True]]


def test_pass_rates_of_authors_files_use_the_real_number_of_public_tests():
    # 2 public + 6 hidden tests. Hidden 3/6 passed, public 2/2 passed -> 5/8 of all tests.
    # The authors' formula assumes 4 public tests: (0.5 * 4 + 1.0 * 4) / 8 = 0.75, which is wrong.
    record = {"id": "a", "test_cases": TESTS_8, "public_test_cases": TESTS_2_PUBLIC,
              "all_pass_rates": [[0.5, 1.0]], "public_pass_rates": [[1.0], [1.0]]}
    rates, public = split.read_pass_rates(record, "f, line 1")
    assert rates == [[0.625, 1.0]] and public == [[True, True]]


def test_missing_field_names_file_line_and_field():
    with pytest.raises(BadInputError, match=r"f, line 7, field 'public_pass_rates': missing"):
        split.read_pass_rates({"id": "a", "all_pass_rates": [[0.0]]}, "f, line 7")


# ---------------------------------------------------------------- selection

def test_too_easy_only_when_every_turn0_program_passes():
    assert split.too_easy([[1.0, 0.0], [1.0, 1.0]])
    assert not split.too_easy([[1.0, 1.0], [0.9, 1.0]])


def test_candidates_need_an_improvement_reaching_one_and_validation_keeps_the_smallest_diff():
    rates = [[0.0, 1.0], [0.5, 1.0], [0.2, 0.8], [1.0, 1.0], [0.75, 1.0]]
    assert split.candidate_trajectories(rates) == [4, 1, 0]  # diffs .25, .5, 1.0; [0.2, 0.8] never reaches 1.0
    assert split.candidate_trajectories(rates, validation=True) == [4]
    assert split.candidate_trajectories([[0.2, 0.3], [0.0, 0.0]], validation=True) == [0]


def test_max_variance_subset_worked_example():
    diffs = [0.1, 0.2, 0.3, 0.4, 0.5, 1.0]
    # m=2: k=0 {.1,.2} var .0025; k=1 {.1,1.} var .2025; k=2 {.5,1.} var .0625.
    assert split.max_variance_subset(diffs, m=2) == [0, 5]
    # m=4: k=0 {.1,.2,.3,.4} var .0125; k=1 {.1,.2,.3,1.} var .1225; k=2 {.1,.2,.5,1.} var .1225 (tie: smaller k);
    # k=3 {.1,.4,.5,1.} var .1025; k=4 {.3,.4,.5,1.} var .0725.
    assert split.max_variance_subset(diffs, m=4) == [0, 1, 2, 5]
    assert split.max_variance_subset([0.3, 0.7], m=4) == [0, 1]


def test_max_variance_subsets_include_all_highest():
    # The authors' loop builds k = 0..m-1 only; ours has k = m too (positions 4..7 of 8).
    assert split.pods_subsets(8, 4) == [[0, 1, 2, 3], [0, 1, 2, 7], [0, 1, 6, 7], [0, 5, 6, 7], [4, 5, 6, 7]]
    # Ties go to the smaller k: here every subset has variance 0.
    assert split.max_variance_subset([0.5] * 8, m=4) == [0, 1, 2, 3]


# ---------------------------------------------------------------- cutting

def test_a_prompt_for_every_turn_when_no_rule_fires():
    assert split.cut_turns([0.0, 0.5, 1.0], [False, False, True]) == ([1, 2, 3], "end")
    assert split.cut_turns([0.0, 0.5], [False, False]) == ([1, 2], "end")  # fewer programs than max_turn
    assert split.cut_turns([0.0, 0.5, 1.0], [False, False, True], max_turn=2) == ([1, 2], "end")


def test_two_consecutive_all_public_passed_feedbacks_stop():
    # Public tests pass at turns 0 and 1 while hidden ones fail: the turn-2 prompt would repeat that feedback.
    assert split.cut_turns([0.8, 0.8, 1.0], [True, True, True]) == ([1], "public")
    assert split.cut_turns([0.8, 0.2, 0.8], [True, False, True]) == ([1, 2, 3], "end")


def test_solved_rule_compares_consecutive_programs_not_0_and_2():
    # Programs 0 and 2 pass, program 1 fails. The authors' script stops at turn 1 (it compares programs
    # t-1 and t+1) and loses all three prompts; the turn-1 prompt (last program correct, next one broken)
    # is exactly what the bandit should learn from.
    assert split.cut_turns([1.0, 0.0, 1.0], [True, False, True]) == ([1, 2, 3], "end")
    # Program 1 passes and the reference model's answer to the turn-2 prompt (program 2) passes too.
    assert split.cut_turns([0.5, 1.0, 1.0], [False, False, False]) == ([1], "solved")


def test_token_budget_stops():
    tokens = {1: 90, 2: 120, 3: 150}.__getitem__
    assert split.cut_turns([0.0, 0.5, 1.0], [False] * 3, prompt_tokens=tokens, max_prompt_tokens=100) == ([1], "budget")


# ---------------------------------------------------------------- one problem, end to end

def test_split_problem_cuts_downsampled_trajectories_with_prev_best():
    rates = [[0.0, 0.5, 1.0], [0.25, 1.0, 1.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0],
             [0.5, 0.5, 1.0], [0.75, 1.0, 0.75], [0.875, 1.0, 1.0]]
    record = trajectory_record(rates)
    prompts = split.split_problem(record, "f, line 1", m=4)
    # Candidates sorted by diff: s6 .125, s5 .25, s4 .5, s1 .75, s0 1.0 -> 5 > m=4. Variances:
    # k=0 .0576, k=1 .1123, k=2 {.125,.25,.75,1.} .1279, k=3 .1045, k=4 .0781 -> s6 s5 s1 s0.
    # s6 and s1: the programs of turns 1 and 2 both pass -> "solved": no turn-2 prompt.
    assert [p["example_id"] for p in prompts] == [
        "p/t0", "p/t1/s6", "p/t1/s5", "p/t2/s5", "p/t3/s5", "p/t1/s1", "p/t1/s0", "p/t2/s0", "p/t3/s0"]
    by_id = {p["example_id"]: p for p in prompts}
    assert by_id["p/t0"]["conversation"] == record["conversations"][0][:2] and by_id["p/t0"]["prev_best_pass_rate"] == 0.0
    assert by_id["p/t2/s0"]["conversation"] == record["conversations"][0][:6]
    assert by_id["p/t2/s0"]["conversation"][-1] == {"role": "user", "content": "feedback 0.1"}
    assert [by_id[f"p/t{t}/s0"]["prev_best_pass_rate"] for t in (1, 2, 3)] == [0.0, 0.5, 1.0]
    assert by_id["p/t3/s5"]["prev_best_pass_rate"] == 1.0 and by_id["p/t3/s5"]["turn"] == 3
    assert all(p["test_cases"] == TESTS_8 and p["difficulty"] == "easy" and not p["perturbed"] for p in prompts)


def test_split_problem_skips_too_easy_and_perturbed_has_no_turn0_prompt():
    assert split.split_problem(trajectory_record([[1.0, 1.0, 1.0]] * 2), "f, line 1") == []
    prompts = split.split_problem(trajectory_record([[0.0, 0.5, 1.0]]), "f, line 1", perturbed=True)
    assert [p["example_id"] for p in prompts] == ["p/t1/s0/ptb", "p/t2/s0/ptb", "p/t3/s0/ptb"]
    assert all(p["perturbed"] for p in prompts)


def test_split_problem_rejects_short_conversations():
    record = trajectory_record([[0.0, 1.0]])
    record["conversations"][0] = record["conversations"][0][:4]
    with pytest.raises(BadInputError, match=r"f, line 3, field 'conversations\[0\]': "):
        split.split_problem(record, "f, line 3")


def test_mix_perturbed_makes_up_the_ratio():
    clean = [{"id": i} for i in range(80)]
    perturbed = [{"id": -i} for i in range(1, 50)]
    mixed = split.mix_perturbed(clean, perturbed, 0.2, random.Random(0))
    assert len(mixed) == 100 and sum(p["id"] < 0 for p in mixed) == 20
    assert len(split.mix_perturbed(clean, perturbed[:5], 0.5, random.Random(0))) == 85


# ---------------------------------------------------------------- the command line

@pytest.fixture
def files(tmp_path):
    tokenizer_dir = tmp_path / "tok"
    build_tokenizer().save_pretrained(str(tokenizer_dir))
    trajectories = tmp_path / "traj.jsonl"
    records = [trajectory_record([[0.0, 0.5, 1.0], [0.5, 1.0, 0.5]], pid=f"p{i}") for i in range(5)]
    records.append(trajectory_record([[1.0, 1.0, 1.0]] * 2, pid="easy"))
    trajectories.write_text("".join(json.dumps(r) + "\n" for r in records))
    return tmp_path, str(tokenizer_dir), str(trajectories)


def run_split(*args):
    return subprocess.run([sys.executable, "split.py", *args], capture_output=True, text=True,
                          cwd=split.__file__.rsplit("/", 1)[0])


def test_cli_writes_seeded_shuffled_prompts_and_summary(files):
    tmp, tok, traj = files
    out1, out2 = tmp / "a.jsonl", tmp / "b.jsonl"
    result = run_split("--trajectories", traj, "--output", str(out1), "--tokenizer", tok)
    assert result.returncode == 0, result.stderr
    assert "problems: 6, too easy: 1" in result.stdout and "turn 0: 5, turn 1: 10, turn 2: 10, turn 3: 10" in result.stdout
    run_split("--trajectories", traj, "--output", str(out2), "--tokenizer", tok)
    first, second = out1.read_text().splitlines(), out2.read_text().splitlines()
    assert first == second and len(first) == 35
    assert [json.loads(x)["example_id"] for x in first] != sorted(json.loads(x)["example_id"] for x in first)
    # A small token budget keeps only the turn-0 prompts.
    result = run_split("--trajectories", traj, "--output", str(out2), "--tokenizer", tok, "--max-prompt-tokens", "20")
    assert "prompts: 5 (turn 0: 5" in result.stdout


def test_cli_mixes_perturbed_prompts_with_a_label(files):
    tmp, tok, traj = files
    out = tmp / "mixed.jsonl"
    result = run_split("--trajectories", traj, "--output", str(out), "--tokenizer", tok,
                       "--perturbed", traj, "--perturbed-ratio", "0.3")
    assert result.returncode == 0, result.stderr
    prompts = [json.loads(x) for x in out.read_text().splitlines()]
    perturbed = [p for p in prompts if p["perturbed"]]
    assert len(prompts) == 50 and len(perturbed) == 15 and all(p["example_id"].endswith("/ptb") for p in perturbed)


def test_cli_bad_input_exits_2_naming_file_line_field(files):
    tmp, tok, _ = files
    bad = tmp / "bad.jsonl"
    record = trajectory_record([[0.0, 1.0]])
    del record["exec_results"]
    bad.write_text("\n" + json.dumps(record) + "\n")
    result = run_split("--trajectories", str(bad), "--output", str(tmp / "o.jsonl"), "--tokenizer", tok)
    assert result.returncode == 2 and f"{bad}, line 2, field 'exec_results': missing" in result.stderr


def test_verl_parquet_schema(files):
    import pyarrow.parquet as pq  # in requirements.txt: a missing install fails here, it does not skip
    tmp, tok, traj = files
    result = run_split("--trajectories", traj, "--output", str(tmp / "v.jsonl"), "--tokenizer", tok,
                       "--validation", "--verl-parquet", str(tmp / "verl"))
    assert result.returncode == 0, result.stderr
    rows = pq.read_table(str(tmp / "verl" / "test.parquet")).to_pylist()
    prompts = [json.loads(x) for x in (tmp / "v.jsonl").read_text().splitlines()]
    assert len(rows) == len(prompts) == 5 + 5 * 3  # validation: s1 only (smallest diff), prompts for turns 1, 2, 3
    row = rows[0]
    assert row["ability"] == "code" and row["reward_model"]["ground_truth"] == TESTS_8
    assert row["extra_info"]["is_val"] and "prev_best_pass_rate" in row["extra_info"]
    assert row["prompt"] == prompts[0]["conversation"]


def test_verl_parquet_with_thinking_turns_on_the_format_reward_end_to_end(files):
    """trajectories -> split.py --verl-parquet DIR --thinking -> parquet -> reward.compute_score:
    a reply without </think> scores 1.0 - 0.9 = 0.1, the same reply with <think>...</think> 1.0."""
    import pyarrow.parquet as pq  # in requirements.txt: a missing install fails here, it does not skip
    import reward
    tmp, tok, traj = files
    result = run_split("--trajectories", traj, "--output", str(tmp / "t.jsonl"), "--tokenizer", tok,
                       "--verl-parquet", str(tmp / "verl"), "--thinking")
    assert result.returncode == 0, result.stderr
    row = pq.read_table(str(tmp / "verl" / "train.parquet")).to_pylist()[0]
    assert row["extra_info"]["thinking"] is True and row["extra_info"]["tokenizer"] == tok
    answer = "```python\nprint(input())\n```"  # passes all 8 tests of TESTS_8
    score = lambda reply: reward.compute_score(row["data_source"], reply, row["reward_model"]["ground_truth"],
                                               row["extra_info"])
    assert score(answer) == pytest.approx(0.1)
    assert score(f"<think>\nEcho the input.\n</think>\n{answer}") == 1.0
    plain = run_split("--trajectories", traj, "--output", str(tmp / "p.jsonl"), "--tokenizer", tok,
                      "--verl-parquet", str(tmp / "plain"))
    assert plain.returncode == 0, plain.stderr
    row = pq.read_table(str(tmp / "plain" / "train.parquet")).to_pylist()[0]
    assert row["extra_info"]["thinking"] is False and "tokenizer" not in row["extra_info"]
    assert reward.compute_score(row["data_source"], answer, row["reward_model"]["ground_truth"], row["extra_info"]) == 1.0


def test_thinking_without_verl_parquet_is_refused(files):
    tmp, tok, traj = files
    result = run_split("--trajectories", traj, "--output", str(tmp / "t.jsonl"), "--thinking")
    assert result.returncode == 2 and "--thinking only changes the --verl-parquet rows" in result.stderr
