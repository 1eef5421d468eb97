"""The training reward of Cobalt, term by term (METHOD.md, "The equations"), and the same reward with
veRL's custom reward signature.

    reward(reply, pass_rate, prev_best)    in [-1, 1]: no code block -1; tiers 1.0 / 0.2 / 0.0 / -0.1;
                                           the improvement bonus / regression rule against
                                           prev_best_pass_rate; + the format term for thinking models
    validation_reward(pass_rate)           0/1: passes every test or not
    program_pass_rates(replies, test_cases, thinking, timeout, workers)
                                           reply -> its program -> the sandbox -> pass rate over all tests
    compute_score(data_source, solution_str, ground_truth, extra_info)
                                           veRL's custom reward function: runs the sandbox itself

Used by train_bandit.py, and by veRL through recipes/verl_cobalt.sh
(reward.custom_reward_function.path=<this file's absolute path>, .name=compute_score).
veRL loads this file by its path, in a Ray worker whose working directory and sys.path know
nothing of this repository, so the folder of this file is added to sys.path for the modules it
imports (sandbox, conversation, policy). A scoring error (the sandbox cannot start, a malformed
test file) is raised, never turned into a score.
"""
import functools
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.append(HERE)  # appended: the modules of this folder never shadow a Ray worker's packages

import sandbox
from conversation import pass_rate, reply_code, token_counter
from policy import load_tokenizer


def correctness_reward(pass_rate: float, prev_best: float) -> float:
    """Tiers 1.0 / 0.2 / 0.0 / -0.1, then the improvement rule against prev_best_pass_rate.

    Below 1.0 and with prev_best > 0: a better program earns up to +0.1 more; an equal or
    worse one gets -0.1 plus a penalty up to -0.1 for how much it lost.
    Examples: (p .75, prev .5) -> .2 + .1 * .25/.5 = .25; (.5, .5) -> -.1; (.25, .5) -> -.15.
    """
    r = 1.0 if pass_rate == 1.0 else 0.2 if pass_rate >= 0.5 else 0.0 if pass_rate > 0.0 else -0.1
    if pass_rate < 1.0 and prev_best > 0.0:
        if pass_rate > prev_best:
            r += 0.1 * (pass_rate - prev_best) / (1.0 - prev_best)
        else:
            r = -0.1 + 0.1 * (pass_rate - prev_best) / prev_best
    return r


def has_long_repetition(text: str, min_len: int = 32, min_repeats: int = 8) -> bool:
    """Some block of min_len or more characters repeated min_repeats times in a row.

    A block of length L repeated r times is a run of (r-1)*L positions with text[i] == text[i+L].
    """
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    for length in range(min_len, len(codes) // min_repeats + 1):
        same = np.concatenate([[0], np.cumsum(codes[:-length] == codes[length:])])
        run = (min_repeats - 1) * length
        if np.any(same[run:] - same[:-run] == run):
            return True
    return False


FORMAT_PENALTY = -0.9
THINK_TOKENS, ANSWER_TOKENS, EXPLANATION_TOKENS = 4096, 2048, 512  # length limits of the shaping
REFLECTION_WORDS = ("wait", "mistake", "however", "but", "retry", "error", "verify", "wrong", "evaluate")


def format_reward(reply: str, correctness: float, count_tokens) -> float:
    """Format term for thinking models (the authors' reward code), added before clipping.

    -0.9 for a broken format: a block of 32+ characters repeated 8 times in a row; not
    exactly one `</think>`; after it not exactly one ```python block; a backtick in the code.
    Otherwise length shaping with lengths counted by `count_tokens` (the model's tokenizer):
    reasoning T (before </think>), answer A (after it), explanation E (after the code block).
      correctness >= 0: 0, or -0.01 if T > 4096 or A > 2048 or E > 512;
      correctness <  0: +0.075 * tanh(T / 1024) and +0.005 per reflection word used 1-4 times
                        (at most +0.025) if T <= 4096, else -0.1; then -0.1 if A > 2048 and
                        -0.1 if E > 512. (Thinking longer about a failure is encouraged a little.)
    """
    if has_long_repetition(reply) or reply.count("</think>") != 1:
        return FORMAT_PENALTY
    think, answer = reply.split("</think>")
    think, answer = think.strip(), answer.strip()
    start = answer.find("```python")
    end = answer.find("\n```", start + 9)
    if answer.count("```python") != 1 or end == -1 or answer[start + 9:].count("\n```") != 1 or "`" in answer[start + 9:end]:
        return FORMAT_PENALTY
    t, a, e = count_tokens(think), count_tokens(answer), count_tokens(answer[end + 4:].strip())
    if correctness >= 0.0:
        return 0.0 if t <= THINK_TOKENS and a <= ANSWER_TOKENS and e <= EXPLANATION_TOKENS else -0.01
    shaping = -0.1
    if t <= THINK_TOKENS:
        words = [w.strip(".,;:!?()'\"") for w in think.lower().split()]
        used = sum(1 for k in REFLECTION_WORDS if 1 <= words.count(k) <= 4)
        shaping = 0.075 * math.tanh(t / 1024) + min(0.005 * used, 0.025)
    return shaping - 0.1 * (a > ANSWER_TOKENS) - 0.1 * (e > EXPLANATION_TOKENS)


def reward(reply: str, pass_rate: float | None, prev_best: float, *, thinking: bool = False, count_tokens=None) -> float:
    """The training reward in [-1, 1]; pass_rate None means the reply has no code block (-1)."""
    if pass_rate is None:
        return -1.0
    r = correctness_reward(pass_rate, prev_best)
    if thinking:
        r += format_reward(reply, r, count_tokens)
    return max(-1.0, min(1.0, r))


def validation_reward(pass_rate: float | None) -> float:
    """1 if the program passes every test, else 0."""
    return 1.0 if pass_rate == 1.0 else 0.0


@functools.lru_cache(maxsize=4)
def _length_counter(tokenizer: str | None):
    return token_counter(load_tokenizer(tokenizer))


def program_pass_rates(replies: list[str], test_cases: list[str], *, thinking: bool = False,
                       timeout: float = 4.0, workers: int | None = None) -> list[float | None]:
    """The pass rate over all tests of each reply's program on its problem's `test_cases` (None: no
    code block), the reward's input. Identical (program, tests) pairs run once: groups often repeat a program.
    workers: sandbox processes at once (default: one per core)."""
    codes = [reply_code(r, thinking) for r in replies]
    jobs = list(dict.fromkeys((c, t) for c, t in zip(codes, test_cases) if c is not None))
    passing = dict(zip(jobs, (r["passing"] for r in sandbox.run_tests_batch(jobs, timeout=timeout, workers=workers))))
    return [None if c is None else pass_rate(passing[c, t]) for c, t in zip(codes, test_cases)]


def compute_score(data_source, solution_str, ground_truth, extra_info=None) -> float:
    """The reward with veRL's custom reward function signature (`reward.custom_reward_function.path`).

    extra_info: "prev_best_pass_rate" (default 0), "is_val" (0/1 validation reward),
    "thinking" (add the format term), "tokenizer" (model whose tokenizer measures lengths).
    solution_str is the completion as veRL's reward manager decodes it, special tokens removed;
    the recipe's manager (recipes/verl_reward_manager.py) keeps `</think>` for the format term.
    """
    extra = extra_info or {}
    thinking = bool(extra.get("thinking", False))
    rate = program_pass_rates([solution_str], [ground_truth], thinking=thinking)[0]
    if extra.get("is_val", False):
        return validation_reward(rate)
    counter = _length_counter(extra.get("tokenizer")) if thinking else None
    return reward(solution_str, rate, float(extra.get("prev_best_pass_rate", 0.0)), thinking=thinking, count_tokens=counter)
