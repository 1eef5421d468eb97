"""What the stages share about the conversation: the prompts and the feedback text, how a
program is taken out of a reply, pass rates, and prompt lengths in tokens.

    build_prompt(problem)          the turn-0 conversation: system message, then the problem
    feedback_message(result)       the user turn after a program: the first failing public test
    history_text(reply, thinking)  what a reply leaves in the conversation
    extract_code(reply)            the program of a reply (None: no code block)
    reply_code(reply, thinking)    the same, after `</think>` for thinking models
    pass_rate(passing)             fraction of tests passed
    chat_token_ids(tokenizer, conversation)   prompt token ids with the model's chat template
    token_counter(tokenizer)       text -> number of tokens (lengths of the format reward)

The content follows the paper (METHOD.md, "Glossary": feedback); the wording is our own.
Used by collect.py, split.py, train_bandit.py, evaluate.py, reward.py and policy.py.
"""
import re

SYSTEM_PROMPT = """You are a careful and safe Python programming assistant. Help the user solve the coding problem they give you.

Your program will run in a sandbox with a read-only filesystem and must follow these rules:
1. Stay within the time and memory limits: avoid very deep recursion and very large data structures.
2. Never start, stop or signal processes, and never run shell or system commands.
3. Never create, change, delete or walk through files and directories.
4. Import only ordinary modules, nothing that reaches into the system (for example psutil, resource, tkinter, joblib).

Let these rules shape your design. Where one of them matters for a choice you make, say so briefly; do not just repeat the list."""

STDIO_INSTRUCTION = """Solve the programming problem below in Python. Think it through step by step first. Then write one complete program that reads the input from standard input and prints the answer to standard output, and put the whole program in a single ```python code block."""

STARTER_INSTRUCTION = """Solve the programming problem below in Python. Think it through step by step first. Then complete the starter code given after the problem: your solution is called as a function, so it should not read standard input. Put the whole completed code in a single ```python code block."""

FEEDBACK_TEMPLATE = """Your program was run on the public tests. The result:

{feedback}

Analyse this feedback step by step before you write any code: trace what your previous program does on the input shown, quote the lines that cause the problem, and explain how you will change them. If the program needs a module that is not available, implement that functionality yourself; the execution environment cannot be changed. Then write ONE complete fixed program, with short comments, in a single new ```python code block: not a list of edits, an outline or partial code."""

NO_CODE_FEEDBACK = "No code block was found in your reply. The program must be inside a fenced block that starts with ```python and ends with ```."

ALL_PUBLIC_PASSED_FEEDBACK = "Your program passed all public tests. Hidden tests will also be run: think hard about edge cases the public tests may not cover (smallest and largest inputs, empty or repeated values, ties, running time) and fix anything that could still fail."

THINKING_HISTORY_CHARS = 6000  # the authors keep this much of a thinking model's answer in the history


def build_prompt(problem: dict) -> list[dict]:
    """The turn-0 conversation: the sandbox rules, then the problem and what to write."""
    starter = problem.get("starter_code") or ""
    instruction = STARTER_INSTRUCTION if starter.strip() else STDIO_INSTRUCTION
    text = f"{instruction}\n\nProblem:\n{problem['question'].strip()}"
    if starter.strip():
        text += f"\n\nStarter code:\n```python\n{starter.rstrip()}\n```"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": text}]


def feedback_message(public_result: dict | None) -> str:
    """The user turn after a program: the first failing public test, in list order, as the
    sandbox formatted it; or "all public tests passed"; `None` means no code block was found."""
    if public_result is None:
        feedback = NO_CODE_FEEDBACK
    else:
        failing = [fb for ok, fb in zip(public_result["passing"], public_result["feedback"]) if not ok]
        feedback = failing[0] if failing else ALL_PUBLIC_PASSED_FEEDBACK
    return FEEDBACK_TEMPLATE.format(feedback=feedback)


# ---------------------------------------------------------------- the program in a reply

# The authors' rule (the same in their collection, reward and evaluation code): three backticks, an
# optional tag of word characters, a newline, then everything up to the next three backticks.
CODE_BLOCK = re.compile(r"```(?:\w+)?\n(.*?)```", re.DOTALL)


def extract_code(reply: str) -> str | None:
    """The program in a reply: the last fenced block, whatever its tag; None if there is none.

    As the authors, so rewards can be compared with their runs: a program followed by a ```text
    block of sample output yields the text (it runs and fails); a ```cpp block is run as Python;
    "```python " (a space before the newline) opens no block.
    >>> extract_code("idea\\n```python\\nprint(1)\\n```\\nfixed:\\n```\\nprint(2)\\n```")
    'print(2)'
    """
    blocks = CODE_BLOCK.findall(reply)
    return blocks[-1].strip() if blocks else None


def answer_text(reply: str) -> str:
    """A thinking model's answer: the text after the last `</think>` (the whole reply if there is none)."""
    return reply.rsplit("</think>", 1)[-1].strip()


def reply_code(reply: str, thinking: bool) -> str | None:
    """The program of a reply; a thinking model's is taken from its answer, after `</think>`."""
    return extract_code(answer_text(reply) if thinking else reply)


def history_text(reply: str, thinking: bool) -> str:
    """What a reply leaves in the conversation. For thinking models the authors keep only the
    answer, cut to its first 6000 characters (the reasoning before `</think>` is dropped)."""
    return answer_text(reply)[:THINKING_HISTORY_CHARS] if thinking else reply


def pass_rate(passing: list[bool]) -> float:
    """Fraction of tests passed; a program with no tests run (no code block) passes none."""
    return sum(passing) / len(passing) if passing else 0.0


# ---------------------------------------------------------------- lengths in tokens

def chat_token_ids(tokenizer, conversation: list[dict]) -> list[int]:
    """Token ids of a conversation rendered with the model's chat template, ready for the assistant's reply."""
    text = tokenizer.apply_chat_template(conversation, tokenize=False, add_generation_prompt=True)
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def token_counter(tokenizer):
    """A function text -> its number of tokens (no special tokens added)."""
    return lambda text: len(tokenizer(text, add_special_tokens=False)["input_ids"])
