"""The rollout engine's bookkeeping, checked exactly with a scripted policy and a fake sandbox."""
import json

import pytest

import rollout
import conversation
from policy import load_policy
from problems import BadInputError
from scripted import FakeSandbox, ScriptedPolicy, make_problem, reply

SUM = "str(sum(map(int, s.split())))"               # right
TIMES3 = "str(int(s.split()[0]) * 3)"               # passes tests whose answer is 3 * the first number
PUBLIC_ONLY = "{'1 2': '3', '2 2': '4'}.get(s, '?')"  # hard-codes the public tests
CRASH = "str(1 // 0)"

ADD = make_problem("add", "Add the numbers.", public=[("1 2", "3"), ("2 2", "4")], hidden=[("10 5", "15"), ("0 0", "0")])
SCRIPT = {"Add the numbers.": [
    [reply(None), reply(TIMES3), reply(SUM)],       # sample 0, turns 0..2
    [reply(SUM), reply(PUBLIC_ONLY), reply(CRASH)],  # sample 1
]}
SAMPLING = dict(temperature=0.6, top_p=0.95, max_new_tokens=16, micro_batch=4)


def run(problems, script, **options):
    options = {"n_samples": 2, "turns": 2, "run_batch": FakeSandbox(), **SAMPLING, **options}
    policy = ScriptedPolicy(script)
    return list(rollout.rollout(policy, problems, **options)), policy


def test_extract_code_takes_the_last_fenced_block_whatever_its_tag():
    """The authors' rule: ```<word characters>, a newline, up to the next ```; the last such block."""
    assert conversation.extract_code("a\n```python\nx = 1\n```\nb\n```\nprint(2)\n```\n") == "print(2)"
    assert conversation.extract_code("```py\nprint(3)\n```") == "print(3)"
    assert conversation.extract_code("```python\nprint(1)\n```\nOutput:\n```text\n3\n```") == "3"  # the text block
    assert conversation.extract_code("```cpp\nint main(){}\n```") == "int main(){}"  # run as Python
    assert conversation.extract_code("```python \nprint(1)\n```") is None  # a space before the newline: no block
    assert conversation.extract_code("```Python3\nprint(4)\n```") == "print(4)"
    assert conversation.extract_code("no code here") is None
    assert conversation.extract_code("```python\nprint(1)\n") is None  # a reply cut off inside its block


def test_rewards_of_the_extraction_cases_match_the_authors():
    """The cases where our old rule and the authors' disagreed, scored through veRL's compute_score
    (sandbox included); the authors' rewards, worked out by hand from their regex."""
    import reward
    tests = json.dumps({"inputs": ["1 2\n"], "outputs": ["3"]})
    program = "print(sum(map(int, input().split())))"
    sample_output = f"```python\n{program}\n```\nSample output:\n```text\n3\n```"
    assert reward.compute_score("cobalt", sample_output, tests) == -0.1  # "3" runs, prints nothing
    assert reward.compute_score("cobalt", f"```cpp\n{program}\n```", tests) == 1.0  # run as Python, passes
    assert reward.compute_score("cobalt", f"```python \n{program}\n```", tests) == -1.0  # no code block


def test_feedback_is_the_first_failing_public_test_or_all_passed():
    result = {"passing": [True, False, False], "feedback": ["", "first failure", "second failure"]}
    assert "\nfirst failure\n" in conversation.feedback_message(result)
    assert "second" not in conversation.feedback_message(result)
    passed = conversation.feedback_message({"passing": [True, True], "feedback": ["", ""]})
    assert conversation.ALL_PUBLIC_PASSED_FEEDBACK in passed and "Hidden tests" in passed
    assert conversation.NO_CODE_FEEDBACK in conversation.feedback_message(None)


def test_thinking_keeps_the_answer_cut_to_6000_characters():
    answer = "plan\n```python\nprint(1)\n```"
    assert conversation.history_text("<think>long reasoning</think>\n" + answer, thinking=True) == answer
    assert conversation.history_text("<think>a</think>b</think> tail", thinking=True) == "tail"
    assert conversation.history_text("no end of thinking", thinking=True) == "no end of thinking"
    assert conversation.history_text("</think>" + "y" * 7000, thinking=True) == "y" * 6000
    assert conversation.history_text("<think>kept</think> as is", thinking=False) == "<think>kept</think> as is"


def test_rollout_records_every_turn_in_the_right_place():
    (record,), policy = run([ADD], SCRIPT)
    assert record["id"] == "add" and record["question"] == "Add the numbers."
    assert record["raw_responses"] == [[SCRIPT["Add the numbers."][s][t] for s in range(2)] for t in range(3)]
    assert record["public_pass_rates"] == [[0.0, 1.0], [0.5, 1.0], [1.0, 0.0]]       # [turn][sample]
    assert record["all_pass_rates"] == [[0.0, 0.5, 1.0], [1.0, 0.5, 0.0]]            # [sample][turn]
    assert record["hidden_pass_rates"] == [[0.0, 0.5, 1.0], [1.0, 0.0, 0.0]]
    assert record["exec_results"][0][0] == {"has_code": False, "public_passing": [False, False],
                                            "all_passing": [False] * 4}
    assert record["exec_results"][0][1] == {"has_code": True, "public_passing": [True, False],
                                            "all_passing": [True, False, False, True]}
    # Conversations: system, problem, then (reply, feedback) per turn, ending with feedback.
    conv0, conv1 = record["conversations"]
    assert [m["role"] for m in conv0] == ["system", "user"] + ["assistant", "user"] * 3
    assert conv0[:2] == conversation.build_prompt(ADD)
    assert conv0[2]["content"] == reply(None) and conversation.NO_CODE_FEEDBACK in conv0[3]["content"]
    assert "Input:\n2 2\nProgram's Output:\n6\nExpected Output:\n4" in conv0[5]["content"]
    assert conversation.ALL_PUBLIC_PASSED_FEEDBACK in conv0[7]["content"]
    assert conversation.ALL_PUBLIC_PASSED_FEEDBACK in conv1[3]["content"]
    assert conversation.ALL_PUBLIC_PASSED_FEEDBACK in conv1[5]["content"]
    assert "Input:\n1 2\nProgram's Output:\n\nError:\nZeroDivisionError" in conv1[7]["content"]
    # The model saw, at turn t, exactly the conversation up to the feedback on turn t-1.
    assert policy.calls == 3
    for seen in policy.seen:
        t = sum(m["role"] == "assistant" for m in seen)
        sample = 0 if seen[2:] == conv0[2:2 + 2 * t] else 1
        assert seen == record["conversations"][sample][:2 + 2 * t] and seen[-1]["role"] == "user"


def test_two_chunks_alternate_and_records_keep_problem_order():
    problems = [make_problem(f"p{i}", f"Problem {i}: add.", [("1 2", "3")], [("3 4", "7")]) for i in range(5)]
    script = {p["question"]: [[reply(SUM), reply(TIMES3), reply(None)], [reply(TIMES3)] * 3] for p in problems}
    together, _ = run(problems, script, chunk_problems=5)
    sandbox = FakeSandbox()
    alternating, policy = run(problems, script, chunk_problems=2, run_batch=sandbox)
    assert [r["id"] for r in alternating] == [f"p{i}" for i in range(5)]
    assert alternating == together
    assert policy.calls == 3 * 3 and sandbox.batches == 3 * 3  # 3 chunks x 3 turns
    assert len(sandbox.jobs) == 5 * 5  # one job per program with code: public tests come first in test_cases


def test_perturbed_public_tests_give_feedback_true_tests_give_scores():
    problem = make_problem("pert", "Add, perturbed.", [("1 2", "4"), ("2 2", "3"), ("5 5", "10")], [("0 0", "0")])
    problem["test_cases"] = json.dumps({"inputs": ["1 2", "2 2", "5 5", "0 0"], "outputs": ["3", "4", "10", "0"]})
    problem["perturbed_test_indices"] = [0, 1]
    script = {"Add, perturbed.": [[reply(SUM), reply(SUM)]]}
    sandbox = FakeSandbox()
    (record,), _ = run([problem], script, n_samples=1, turns=1, run_batch=sandbox)
    assert len(sandbox.jobs) == 4  # public and all tests separately, since they differ
    assert record["exec_results"][0][0]["public_passing"] == [False, False, True]
    assert record["all_pass_rates"] == [[1.0, 1.0]] and record["hidden_pass_rates"] == [[1.0, 1.0]]
    assert "Input:\n1 2\nProgram's Output:\n3\nExpected Output:\n4" in record["conversations"][0][3]["content"]


def test_thinking_rollout_keeps_only_the_answer_and_runs_its_code():
    thought = "<think>try ```python\nprint('draft')\n```</think>\n"
    script = {"Add the numbers.": [[thought + reply(SUM), thought + "no code after thinking"]]}
    (record,), _ = run([ADD], script, n_samples=1, turns=1, thinking=True)
    assert record["raw_responses"][0][0].startswith("<think>")
    assert record["conversations"][0][2]["content"] == reply(SUM)
    assert record["all_pass_rates"] == [[1.0, 0.0]]
    assert record["exec_results"][0][1]["has_code"] is False


def test_resume_after_a_kill_redoes_only_the_torn_problem(tmp_path):
    problems = [make_problem(f"p{i}", f"Problem {i}: add.", [("1 2", "3")], [("3 4", "7")]) for i in range(3)]
    script = {p["question"]: [[reply(SUM), reply(SUM)]] * 2 for p in problems}
    output = str(tmp_path / "trajectories.jsonl")
    options = dict(n_samples=2, turns=1, run_batch=FakeSandbox(), **SAMPLING)
    rollout.write_trajectories(ScriptedPolicy(script), problems, output, **options)
    with open(output, "rb") as f:
        lines = f.readlines()
    with open(output, "wb") as f:  # killed while writing the third record
        f.write(b"".join(lines[:2]) + lines[2][:50])
    policy = ScriptedPolicy(script)
    rollout.write_trajectories(policy, problems, output, **options)
    assert {seen[1]["content"].split("Problem:\n")[1] for seen in policy.seen} == {"Problem 2: add."}
    with open(output, "rb") as f:
        assert f.readlines() == lines
    policy = ScriptedPolicy(script)
    rollout.write_trajectories(policy, problems, output, **options)
    assert policy.calls == 0
    with pytest.raises(BadInputError, match=r"trajectories.jsonl, line 1, field 'raw_responses': 2 turns x 2 samples"):
        rollout.write_trajectories(policy, problems, output, **{**options, "turns": 3})


def test_a_real_model_generates_through_the_engine(tmp_path):
    from tiny_model import build_tiny_model
    policy = load_policy(build_tiny_model(str(tmp_path / "tiny")))
    (record,) = rollout.rollout(policy, [ADD], n_samples=3, turns=1, run_batch=FakeSandbox(), temperature=1.0,
                                top_p=1.0, max_new_tokens=5, micro_batch=2)
    assert [len(replies) for replies in record["raw_responses"]] == [3, 3]
    assert all(isinstance(r, str) for replies in record["raw_responses"] for r in replies)
    assert [len(c) for c in record["conversations"]] == [6, 6, 6]
    assert record["all_pass_rates"] == [[0.0, 0.0]] * 3  # five random characters are no program
    assert 0 < policy.generated_tokens <= 3 * 2 * 5


def test_real_sandbox_feedback_reaches_the_next_turn():
    problem = make_problem("real", "Add two numbers.", [("1 2\n", "3"), ("2 2\n", "4")], [("10 5\n", "15")])
    times3, right = "a, b = map(int, input().split())\nprint(a * 3)", "print(sum(map(int, input().split())))"
    script = {"Add two numbers.": [[reply(times3), reply(right)], [reply("print(1 // 0)"), reply("while True:\n    pass")]]}
    (record,) = rollout.rollout(ScriptedPolicy(script), [problem], n_samples=2, turns=1, **SAMPLING,
                                sandbox_options=dict(timeout=0.5))
    assert record["all_pass_rates"] == [[1 / 3, 1.0], [0.0, 0.0]]
    assert record["public_pass_rates"] == [[0.5, 0.0], [1.0, 0.0]]
    assert "Program's Output:\n6\nExpected Output:\n4\n" in record["conversations"][0][3]["content"]
    crash, timeout = record["conversations"][1][3]["content"], record["conversations"][1][5]["content"]
    assert "Input:\n1 2\nProgram's Output:\n\nError:\nTraceback" in crash and "ZeroDivisionError" in crash
    assert "Input:\n1 2\nTime limit exceeded (0.5 s)\n" in timeout
    assert "Expected Output" not in crash and "Expected Output" not in timeout  # as the authors: never for these
