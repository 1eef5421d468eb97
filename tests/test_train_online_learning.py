"""train_online.py learns a feedback-dependent choice: a tiny model, warmed up to answer every
feedback with a program drawn at random, is trained by the real training loop until its turn-1
program is the one the feedback asks for; the control, --hide-feedback, trained alike, does not.

The world is experiments/toy_world.py's with K = 2 operations (upper-case or reverse the word
read) and ONE statement for every problem, so nothing but the feedback tells two problems apart:
turn 0 is a coin flip for any policy, and after a failed turn 0 the expected output shown
(capitals or small letters) says which program is right. The measured quantity is exactly the
feedback-dependent behaviour: on the training problems, with the real feedback, the share of
episodes that reached turn 1 (their turn-0 program failed) whose turn-1 program passes. No policy
can lift it above 1/2 without reading the feedback: the statements are equal, so there is nothing
to memorise per problem. The control sees only the same sentence after every program and runs
every episode to turn 1 (train_online.py --hide-feedback), so its reward never depends on the
feedback; its share stays at chance. A flipped loss sign or a detached loss cannot raise it either.
"""
import os
import sys

import pytest
import torch

import train_online
from policy import load_policy
from problems import write_jsonl
from tiny_model import build_tiny_model

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "experiments"))
import toy_world  # noqa: E402

SEED = 0
OPERATIONS = ("upper", "reverse")
TRAIN_PROBLEMS = 6  # few problems, each seen every step: the feedback of each is learnt quickly
STEPS, LR = 40, "1e-3"
EPISODES = 32  # per problem, in the measurement


def one_statement(problems: list[dict]) -> list[dict]:
    """The problems with one statement for all, so only the feedback tells them apart."""
    return [{**p, "question": toy_world.STATEMENT.format(number=100)} for p in problems]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The training problems (a file) and the warmed-up model: format and feedback-reading comment
    learnt, program drawn uniformly from the two."""
    root = tmp_path_factory.mktemp("online-world")
    train, _ = toy_world.make_problems(TRAIN_PROBLEMS, 0, seed=SEED, operations=OPERATIONS)
    train = one_statement(train)
    problems = str(root / "train.jsonl")
    write_jsonl(train, problems)
    model = build_tiny_model(str(root / "model"), seed=SEED, hidden=64, layers=2, phrases=toy_world.fixed_texts())
    toy_world.warm_up(model, train, steps=150, turns=1, seed=SEED, operations=OPERATIONS, log=lambda line: None)
    return train, problems, model


def train(world, output_dir, *extra) -> str:
    """train_online.main on the training problems, every problem every step; returns the final model."""
    _, problems, model = world
    train_online.main(["--model", model, "--problems", problems, "--output-dir", output_dir, "--turns", "1",
                       "--precision", "fp32", "--max-steps", str(STEPS), "--epochs", str(STEPS),
                       "--prompts-per-step", str(TRAIN_PROBLEMS), "--group-size", "16", "--mini-batches", "2",
                       "--micro-batch", "64", "--gen-micro-batch", "128", "--max-response-tokens", "12",
                       "--lr", LR, "--kl-coef", "0.05", "--save-every", str(STEPS), "--seed", str(SEED), *extra])
    return os.path.join(output_dir, "final")


def turn1_share(model: str, problems: list[dict]) -> float:
    """Episodes rolled out as train_online.py rolls them out, with the real feedback: the share of
    those that reached turn 1 whose turn-1 program passes all tests."""
    policy = load_policy(model, dtype="float32", device="cpu")
    args = train_online.parse_args(["--problems", "-", "--output-dir", "-", "--turns", "1", "--group-size", str(EPISODES),
                                    "--max-response-tokens", "12", "--gen-micro-batch", "256",
                                    "--old-log-probs", "recomputed"])
    torch.manual_seed(SEED)
    counts = {"tokens": 0, "programs": 0, "generation_s": 0.0, "sandbox_s": 0.0}
    reached = [e for e in train_online.roll_out(policy, problems, args, counts) if len(e.replies) == 2]
    return sum(e.passing is not None and all(e.passing) for e in reached) / len(reached)


@pytest.fixture(scope="module")
def before(world):
    return turn1_share(world[2], world[0])


def test_online_training_learns_to_act_on_the_feedback(world, before, tmp_path):
    after = turn1_share(train(world, str(tmp_path / "online")), world[0])
    print(f"turn-1 share solved: warmed-up {before:.3f}, after train_online {after:.3f}")
    # Measured in float32 on an AVX2-only CPU, seeds 0, 1, 2 (SEED): 0.462 -> 0.904, 0.549 -> 0.896, 0.515 -> 0.786;
    # the control below: 0.511, 0.535, 0.510 (RESULTS.md, "The online learning test").
    assert before < 0.65 and after > 0.7


def test_hiding_the_feedback_learns_nothing(world, before, tmp_path):
    after = turn1_share(train(world, str(tmp_path / "hidden"), "--hide-feedback"), world[0])
    print(f"turn-1 share solved: warmed-up {before:.3f}, after train_online --hide-feedback {after:.3f}")
    assert after < 0.65
