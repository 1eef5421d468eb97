"""Test doubles for the rollout engine: a policy that returns chosen replies and a fake sandbox.

Programs in these tests are one Python expression of the input string `s`, for example
"str(sum(map(int, s.split())))"; the fake sandbox evaluates it per test and reports exactly
what sandbox.run_tests reports (passing flags and feedback strings in the same format).
"""
import json


def reply(program: str | None, text: str = "Here is my program.") -> str:
    """A model reply: some text and, unless `program` is None, the program in a python block."""
    return text if program is None else f"{text}\n```python\n{program}\n```\nDone."


class ScriptedPolicy:
    """Replies from a table: script[question][sample][turn] (a string, or a callable of the conversation).

    Within one generate call a problem's trajectories arrive in sample order, so the k-th
    conversation of a problem at turn t is sample k. Every conversation it sees is kept in `seen`.
    """

    def __init__(self, script: dict):
        self.script, self.seen, self.calls, self.generated_tokens = script, [], 0, 0

    def generate(self, conversations, *, temperature, top_p, max_new_tokens, micro_batch):
        self.calls += 1
        replies, counter = [], {}
        for conversation in conversations:
            self.seen.append([dict(m) for m in conversation])
            question = conversation[1]["content"].split("Problem:\n", 1)[1]
            turn = sum(m["role"] == "assistant" for m in conversation)
            sample = counter.setdefault((question, turn), 0)
            counter[(question, turn)] += 1
            entry = self.script[question][sample][turn]
            replies.append(entry(conversation) if callable(entry) else entry)
        self.generated_tokens += sum(len(r) for r in replies)
        return replies


def fake_run_tests(code: str, test_cases) -> dict:
    tests = json.loads(test_cases) if isinstance(test_cases, str) else test_cases
    passing, feedback = [], []
    for given, expected in zip(tests["inputs"], tests["outputs"]):
        try:
            output, error = str(eval(code, {}, {"s": given})), None
        except Exception as e:
            output, error = "", f"{type(e).__name__}: {e}"
        ok = error is None and output.strip() == expected.strip()
        passing.append(ok)
        if ok:
            feedback.append("")
        elif error:
            feedback.append(f"Input:\n{given}\nProgram's Output:\n\nError:\n{error}")  # as judge.py: no expected output
        else:
            feedback.append(f"Input:\n{given}\nProgram's Output:\n{output}\nExpected Output:\n{expected}")
    return {"passing": passing, "feedback": feedback}


class FakeSandbox:
    """run_tests_batch's interface; counts batches and jobs."""

    def __init__(self):
        self.batches, self.jobs = 0, []

    def __call__(self, jobs, **options):
        self.batches += 1
        self.jobs.extend(jobs)
        return [fake_run_tests(code, tests) for code, tests in jobs]


def make_problem(pid: str, question: str, public: list[tuple[str, str]], hidden: list[tuple[str, str]]) -> dict:
    def tests(pairs):
        return json.dumps({"inputs": [i for i, _ in pairs], "outputs": [o for _, o in pairs]})
    return {"id": pid, "question": question, "public_test_cases": tests(public), "hidden_test_cases": tests(hidden),
            "test_cases": tests(public + hidden), "difficulty": "easy", "source": "test"}
