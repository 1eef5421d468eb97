"""One test per line of the README's "Where we differ from the paper or the authors' code" that is
not pinned elsewhere, so a later change cannot silently move our side. Expected values are worked
out by hand; the authors' side is in each comment. (Pinned elsewhere: code-block extraction in
test_collect.py, crash and time-out feedback in test_sandbox.py, the 400-character cut in
test_sandbox.py, the loss's token mean over the mini-batch in test_loss.py.)"""
import json
import math

import pytest

import conversation
import reward
import split

PASS_ALL = json.dumps({"inputs": ["1 2\n"], "outputs": ["3"]})
PROGRAM = "```python\nprint(sum(map(int, input().split())))\n```"


def words(text):
    return len(text.split())  # a stand-in tokenizer: one token per word


def test_thinking_reply_code_only_after_the_last_think_end():
    # Code only inside <think>: ours finds none (-1.0); the authors search the whole reply, run it
    # (all pass, 1.0) and add the format penalty for no ```python after </think> (-0.9): +0.1.
    reply = f"<think>\n{PROGRAM}\n</think>\nThe answer is above."
    assert conversation.reply_code(reply, thinking=True) is None
    assert reward.compute_score("cobalt", reply, PASS_ALL, {"thinking": True}) == -1.0
    assert conversation.reply_code(f"<think>x</think>\n{PROGRAM}", thinking=True) == "print(sum(map(int, input().split())))"


def test_reflection_words_are_whitespace_words_with_plain_punctuation_stripped():
    # The authors count \bwait\b etc. per line: "**Wait**", "`error`" and "wait/but" give wait, error,
    # but -> +0.015. Ours splits on whitespace and strips .,;:!?()'" only: none of them counts.
    think = "**Wait** `error` wait/but"
    reply = f"{think}\n</think>\n```python\nx\n```"
    t = 3  # words before </think>
    assert reward.format_reward(reply, -0.1, words) == pytest.approx(0.075 * math.tanh(t / 1024))
    # plain words do count: "wait, but" -> 2 words used once each -> +0.010
    reply = "wait, but\n</think>\n```python\nx\n```"
    assert reward.format_reward(reply, -0.1, words) == pytest.approx(0.075 * math.tanh(2 / 1024) + 0.010)


def test_format_lengths_come_from_the_given_tokenizer():
    # The authors count with tiktoken o200k_base; ours with the counter passed in (the policy's tokenizer).
    reply = "short thought\n</think>\n```python\nprint(1)\n```"
    assert reward.format_reward(reply, 0.0, words) == 0.0
    assert reward.format_reward(reply, 0.0, lambda text: 5000) == -0.01  # "too long" by this tokenizer


def test_taco_instruction_field_is_read_and_not_used():
    # The authors' first user message is TACO-Cobalt's `instruction`; ours is built from the question.
    problem = {"id": "1", "question": "Add two numbers.", "instruction": "THE AUTHORS' OWN PROMPT"}
    system, user = conversation.build_prompt(problem)
    assert user["content"] == conversation.STDIO_INSTRUCTION + "\n\nProblem:\nAdd two numbers."
    assert "THE AUTHORS' OWN PROMPT" not in system["content"] + user["content"]


def test_pods_keeps_m_trajectories_however_many_candidates():
    # The authors' n = min(16, candidates) keeps 5-6 with more than 16 candidates; ours keeps m = 4.
    # 20 diffs .05 .. 1.0: k = 2 ("lowest 2 plus highest 2": .05 .1 .95 1.0) has the largest variance.
    diffs = [i / 20 for i in range(1, 21)]
    assert split.max_variance_subset(diffs, 4) == [0, 1, 18, 19]


def test_too_easy_uses_the_recombined_turn_0_pass_rates():
    # An authors' file: 2 public + 6 hidden tests. Turn 0 of sample 0 passes all hidden tests but
    # only 1 of 2 public ones: (6 + 1) / 8 = 0.875 of all tests, so the problem is not too easy.
    tests8 = json.dumps({"inputs": [str(i) for i in range(8)], "outputs": [str(i) for i in range(8)]})
    public2 = json.dumps({"inputs": ["0", "1"], "outputs": ["0", "1"]})
    record = {"id": "a", "test_cases": tests8, "public_test_cases": public2,
              "all_pass_rates": [[1.0], [1.0]], "public_pass_rates": [[0.5, 1.0]]}
    rates, _ = split.read_pass_rates(record, "f, line 1")
    assert rates == [[0.875], [1.0]] and not split.too_easy(rates)
    record["public_pass_rates"] = [[1.0, 1.0]]
    assert split.too_easy(split.read_pass_rates(record, "f, line 1")[0])
