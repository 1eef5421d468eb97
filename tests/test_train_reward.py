"""The reward of METHOD.md, branch by branch, against hand-computed numbers."""
import json
import math

import pytest

import reward as rw

words = lambda text: len(text.split())  # a stand-in tokenizer: one token per word


@pytest.mark.parametrize("pass_rate, prev_best, expected", [
    (1.0, 0.0, 1.0), (0.5, 0.0, 0.2), (0.75, 0.0, 0.2), (0.25, 0.0, 0.0), (0.0, 0.0, -0.1),  # tiers
    (0.75, 0.5, 0.2 + 0.1 * 0.25 / 0.5),    # improvement: .25
    (0.25, 0.125, 0.0 + 0.1 * 0.125 / 0.875),  # improvement from a low tier
    (0.5, 0.5, -0.1),                        # a tie is a regression, not the .2 tier
    (0.25, 0.5, -0.1 + 0.1 * -0.25 / 0.5),  # regression: -.15
    (0.0, 0.5, -0.2),                        # lost everything
    (0.5, 1.0, -0.15),                       # broke a correct program from the context
    (1.0, 0.5, 1.0), (1.0, 1.0, 1.0),        # passing everything is never penalised
])
def test_correctness_reward(pass_rate, prev_best, expected):
    assert rw.correctness_reward(pass_rate, prev_best) == pytest.approx(expected)


def test_no_code_clip_and_validation_reward():
    assert rw.reward("no code here", None, 0.5) == -1.0
    assert rw.reward("```python\nx\n```", 0.25, 0.5) == pytest.approx(-0.15)
    # regression -0.2 plus broken format -0.9 = -1.1, clipped to -1
    assert rw.reward("no think tag ```python\nx\n```", 0.0, 0.5, thinking=True, count_tokens=words) == -1.0
    assert [rw.validation_reward(p) for p in (None, 0.0, 0.99, 1.0)] == [0.0, 0.0, 0.0, 1.0]


GOOD = "let me think. wait, check it.\n</think>\nHere:\n```python\nprint(1)\n```\nDone."


@pytest.mark.parametrize("reply", [
    "no closing tag\n```python\nprint(1)\n```",                                      # no </think>
    "a</think>b</think>\n```python\nprint(1)\n```",                                   # two </think>
    "t</think>\nno code block",                                                        # no python block
    "t</think>\n```python\nprint(1)\n```\n```python\nprint(2)\n```",                  # two python blocks
    "t</think>\n```python\nprint(1)\n",                                                # block never closed
    "t</think>\n```python\nprint(`1`)\n```",                                           # backtick in the code
    "t" + "0123456789abcdefghijklmnopqrstuvwxyzAB" * 8 + "</think>\n```python\nprint(1)\n```",  # 38 chars x 8
])
def test_broken_formats_get_minus_0_9(reply):
    assert rw.format_reward(reply, 0.0, words) == -0.9


def test_long_repetition_needs_8_copies_of_32_characters():
    block = "x = compute(values, index) + 1\n  "  # 33 characters
    assert rw.has_long_repetition("start " + block * 8 + " end")
    assert not rw.has_long_repetition("start " + block * 7 + " end")
    assert not rw.has_long_repetition("ab" * 127)  # a short block repeated: 254 characters are fewer than 8 x 32...
    assert rw.has_long_repetition("ab" * 128)  # ...256 are 8 copies of a 32-character block


def test_length_shaping_for_correct_and_wrong_programs():
    assert rw.format_reward(GOOD, 0.2, words) == 0.0
    long_think = " ".join(f"w{i}" for i in range(4097)) + "</think>\n```python\nprint(1)\n```"
    assert rw.format_reward(long_think, 0.0, words) == -0.01
    # A wrong program: 0.075 * tanh(T / 1024) for the 6 reasoning tokens, + 0.005 for "wait" (used once).
    assert rw.format_reward(GOOD, -0.1, words) == pytest.approx(0.075 * math.tanh(6 / 1024) + 0.005)
    assert rw.format_reward(long_think, -0.1, words) == pytest.approx(-0.1)
    long_explanation = "t</think>\n```python\nprint(1)\n```\n" + " ".join(f"e{i}" for i in range(513))
    assert rw.format_reward(long_explanation, -0.1, words) == pytest.approx(0.075 * math.tanh(1 / 1024) - 0.1)
    # the whole reward: regression (-0.1) plus the shaping, clipped
    assert rw.reward(GOOD, 0.5, 0.5, thinking=True, count_tokens=words) == pytest.approx(-0.1 + rw.format_reward(GOOD, -0.1, words))


def test_compute_score_has_verl_signature_and_runs_the_sandbox():
    tests = json.dumps({"inputs": ["1 2\n", "3 4\n"], "outputs": ["3", "7"]})
    right = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"
    half = "```python\na, b = map(int, input().split())\nprint(3)\n```"
    assert rw.compute_score("cobalt", right, tests, {"prev_best_pass_rate": 0.5}) == 1.0
    assert rw.compute_score("cobalt", half, tests, {"prev_best_pass_rate": 0.5}) == pytest.approx(-0.1)
    assert rw.compute_score("cobalt", half, tests, {"is_val": True}) == 0.0
    assert rw.compute_score("cobalt", "nothing", tests) == -1.0
    assert rw.compute_score("cobalt", "nothing", tests, {"is_val": True}) == 0.0
