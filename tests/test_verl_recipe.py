"""recipes/verl_cobalt.sh against veRL's own code (the version of requirements-verl.txt), on CPU:

1. veRL composes the recipe's overrides with its own hydra config and its own validation
   (the checks main_ppo runs before any worker starts) accepts them;
2. veRL's RLHFDataset reads the parquet written by split.py --verl-parquet with the recipe's data
   settings and filters or truncates nothing: split.py already dropped the over-long prompts;
3. veRL's own reward worker (RewardLoopWorker: the loader of reward.custom_reward_function and the
   recipe's reward manager), started in a process whose working directory is elsewhere, gives the
   paper's rewards on rows of real bundled problems, in that process and in a local Ray actor.

What needs a GPU and vLLM (main_ppo's rollout and updates) is not run here (README, veRL section).
"""
import contextlib
import io
import json
import os
import subprocess
import sys

import pyarrow.parquet as pq
import pytest
from hydra import compose, initialize_config_dir
from tokenizers import AddedToken
from transformers import AutoTokenizer

import verl.trainer.main_ppo
from verl.trainer.ppo.utils import need_critic, need_reference_policy
from verl.utils.config import omega_conf_to_dataclass, validate_config
from verl.utils.dataset.rl_dataset import RLHFDataset
from verl.utils.device import auto_set_device

import split
from conversation import build_prompt, chat_token_ids
from problems import load_problems
from tiny_model import build_tokenizer

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECIPE = os.path.join(REPO, "recipes", "verl_cobalt.sh")
VERL_CONFIG = os.path.join(os.path.dirname(verl.trainer.main_ppo.__file__), "config")
BUDGET = 2500  # --max-prompt-tokens and data.max_prompt_length here (the tokenizer is one token a character)
SUM_OF_TWO = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"


def recipe_overrides(tmp_path, model: str, data: str, n_gpus: int = 4) -> list[str]:
    """The hydra overrides recipes/verl_cobalt.sh hands to `python3 -m verl.trainer.main_ppo`,
    read by running the script with a `python3` on PATH that only writes down its arguments."""
    shim = tmp_path / "shim"
    shim.mkdir(exist_ok=True)
    (shim / "python3").write_text('#!/bin/sh\nprintf "%s\\0" "$@" > "$ARGS_OUT"\n')
    (shim / "python3").chmod(0o755)
    out = tmp_path / "args"
    env = {**os.environ, "PATH": f"{shim}:{os.environ['PATH']}", "ARGS_OUT": str(out),
           "MODEL": model, "DATA": data, "N_GPUS": str(n_gpus)}
    subprocess.run(["bash", RECIPE], env=env, check=True, cwd=tmp_path)
    args = out.read_text().split("\0")[:-1]
    assert args[:2] == ["-m", "verl.trainer.main_ppo"]
    return args[2:]


def compose_config(overrides: list[str]):
    """What main_ppo's @hydra.main(config_path="config", config_name="ppo_trainer") composes."""
    with initialize_config_dir(config_dir=VERL_CONFIG, version_base=None):
        return compose(config_name="ppo_trainer", overrides=overrides)


def validate(config) -> None:
    """main_ppo.main's checks before it starts Ray, then the config dataclasses its workers build."""
    auto_set_device(config)
    validate_config(config, use_reference_policy=need_reference_policy(config), use_critic=need_critic(config))
    for section in (config.actor_rollout_ref.rollout, config.algorithm):
        omega_conf_to_dataclass(section)


@pytest.mark.parametrize("n_gpus", [4, 8])
def test_recipe_composes_and_passes_verls_validation(tmp_path, n_gpus):
    overrides = recipe_overrides(tmp_path, "/models/R1-Distill-Llama-8B", "runs/verl", n_gpus)
    config = compose_config(overrides)
    validate(config)
    assert need_reference_policy(config) and not need_critic(config)  # KL loss on, no critic: GRPO
    assert config.reward.custom_reward_function.path == os.path.join(REPO, "reward.py")
    assert config.reward.reward_manager.module.path == os.path.join(REPO, "recipes", "verl_reward_manager.py")
    assert config.data.train_files == str(tmp_path / "runs" / "verl" / "train.parquet")
    assert config.trainer.n_gpus_per_node == n_gpus and config.actor_rollout_ref.rollout.name == "vllm"
    # split.py's default budget fits in what the recipe gives veRL, so veRL never meets a longer prompt.
    assert split.parse_args(["--trajectories", "t", "--output", "o"]).max_prompt_tokens <= config.data.max_prompt_length
    # Without one of the keys veRL's validation needs, it stops.
    missing = [o for o in overrides if not o.startswith("actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu=")]
    with pytest.raises(ValueError, match="log_prob_micro_batch_size"):
        validate(compose_config(missing))


# ---------------------------------------------------------------- data: split.py -> RLHFDataset

def trajectory(problem: dict, pid: str, rates: list[list[float]]) -> dict:
    """A trajectory record in collect.py's schema on a real problem; programs and feedback are placeholders."""
    conversations = []
    for s, sample in enumerate(rates):
        conv = build_prompt(problem)
        for t in range(len(sample)):
            conv += [{"role": "assistant", "content": f"program {s}.{t}"}, {"role": "user", "content": f"feedback {s}.{t}"}]
        conversations.append(conv)
    execs = [[{"has_code": True, "public_passing": [r == 1.0], "all_passing": []} for r in sample] for sample in rates]
    return {**problem, "id": pid, "conversations": conversations, "all_pass_rates": rates,
            "hidden_pass_rates": rates, "exec_results": execs}


@pytest.fixture(scope="module")
def verl_data(tmp_path_factory):
    """Trajectories on two bundled problems, one of them with a statement too long for BUDGET;
    split.py --verl-parquet writes train, validation and thinking parquets with two tokenizers."""
    tmp = tmp_path_factory.mktemp("verl")
    tok, tok_think = str(tmp / "tok"), str(tmp / "tok_think")
    build_tokenizer().save_pretrained(tok)
    special_think = build_tokenizer()  # `</think>` a special token, which veRL's decoding removes
    special_think.add_tokens([AddedToken("<think>", special=True), AddedToken("</think>", special=True)], special_tokens=True)
    special_think.save_pretrained(tok_think)
    problems = {p["id"]: p for p in load_problems("bundled-train")}
    short = problems["bundled/sum_of_two"]
    long = {**problems["bundled/reverse_string"], "question": problems["bundled/reverse_string"]["question"] * 12}
    rates = [[0.0, 0.5, 1.0], [0.5, 1.0, 1.0]]
    records = [trajectory(short, "sum_of_two", rates), trajectory(long, "long_statement", rates)]
    (tmp / "traj.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))

    def run(out, *args):  # split.py's main, in this process (torch is already imported)
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            split.main(["--trajectories", str(tmp / "traj.jsonl"), "--output", str(tmp / f"{out}.jsonl"),
                        "--verl-parquet", str(tmp / out), *args])
        return printed.getvalue()

    stdout = {"train": run("train", "--tokenizer", tok, "--max-prompt-tokens", str(BUDGET)),
              "val": run("val", "--tokenizer", tok, "--max-prompt-tokens", str(BUDGET), "--validation"),
              "think": run("think", "--tokenizer", tok_think, "--max-prompt-tokens", str(BUDGET), "--thinking"),
              "unbounded": run("unbounded", "--tokenizer", tok, "--max-prompt-tokens", "100000")}
    return tmp, tok, tok_think, stdout


def recipe_data_config(tmp_path, tok: str, data_dir):
    return compose_config(recipe_overrides(tmp_path, tok, str(data_dir)) + [f"data.max_prompt_length={BUDGET}"])


def test_split_drops_over_long_prompts_turn_0_included_and_names_them(verl_data):
    tmp, _, _, stdout = verl_data
    # The long statement's turn-0 prompt (system + statement) is over budget; cutting never measures it.
    assert f"veRL parquet: dropped 1 prompts longer than {BUDGET} tokens: long_statement/t0" in stdout["train"]
    assert "dropped" not in stdout["unbounded"]
    ids = [r["extra_info"]["index"] for r in pq.read_table(str(tmp / "train" / "train.parquet")).to_pylist()]
    assert "long_statement/t0" not in ids and "sum_of_two/t0" in ids


def test_rlhf_dataset_reads_split_parquet_with_the_recipes_settings_and_filters_nothing(verl_data, tmp_path):
    tmp, tok, _, _ = verl_data
    tokenizer = AutoTokenizer.from_pretrained(tok)
    config = recipe_data_config(tmp_path, tok, tmp / "train")
    assert config.data.filter_overlong_prompts
    rows = pq.read_table(str(tmp / "train" / "train.parquet")).to_pylist()
    dataset = RLHFDataset(config.data.train_files, tokenizer, config.data)
    assert len(dataset) == len(rows) > 0  # nothing filtered
    for i, row in enumerate(rows):
        item = dataset[i]
        assert item["raw_prompt"] == row["prompt"] and item["extra_info"]["index"] == row["extra_info"]["index"]
        # veRL's length (its filter's tokenize=True chat template) is ours, and within the budget: no truncation.
        verl_ids = tokenizer.apply_chat_template(item["raw_prompt"], add_generation_prompt=True, tokenize=True, return_dict=False)
        assert list(verl_ids) == chat_token_ids(tokenizer, row["prompt"]) and len(verl_ids) <= BUDGET
    # Without split.py's budget, the long statement's prompts reach veRL, and its filter is what meets them
    # (without the filter, left-truncation).
    unbounded = RLHFDataset(str(tmp / "unbounded" / "train.parquet"), tokenizer, config.data)
    kept = {unbounded[i]["extra_info"]["index"] for i in range(len(unbounded))}
    assert kept == {r["extra_info"]["index"] for r in rows}


def test_thinking_without_tokenizer_is_refused_in_one_line(capsys):
    with pytest.raises(SystemExit) as stop:
        split.parse_args(["--trajectories", "t.jsonl", "--output", "p.jsonl", "--verl-parquet", "v", "--thinking"])
    assert stop.value.code == 2
    assert "error: --thinking needs --tokenizer MODEL" in capsys.readouterr().err.splitlines()[-1]


# ---------------------------------------------------------------- reward: veRL's worker, elsewhere

# Run with the working directory elsewhere and nothing of this repository on sys.path, as a Ray
# worker is: veRL's RewardLoopWorker loads reward.py and the reward manager by their absolute
# paths (from the recipe) and scores (row, reply) cases, each row one of RLHFDataset's items.
WORKER_SCRIPT = r"""
import json, os, sys
import numpy as np, ray, torch
from hydra import compose, initialize_config_dir
from verl import DataProto
from verl.experimental.reward_loop.reward_loop import RewardLoopWorker
from verl.utils.dataset.rl_dataset import RLHFDataset

job = json.loads(sys.argv[1])
assert job["repo"] not in [os.path.abspath(p) for p in sys.path] and os.getcwd() != job["repo"]

def batch(worker, cases):
    tok = worker.input_tokenizer
    items = {}
    for split, index, _ in cases:
        if split not in items:
            dataset = RLHFDataset(job["parquets"][split], tok, worker.config.data)
            items[split] = {dataset[i]["extra_info"]["index"]: dataset[i] for i in range(len(dataset))}
    ids = [tok(reply + tok.eos_token, add_special_tokens=False)["input_ids"] for _, _, reply in cases]
    responses = torch.full((len(ids), max(map(len, ids))), tok.pad_token_id)
    mask = torch.zeros_like(responses)
    for k, row in enumerate(ids):
        responses[k, :len(row)], mask[k, :len(row)] = torch.tensor(row), 1
    rows = [items[split][index] for split, index, _ in cases]
    column = lambda key: np.array([row[key] for row in rows], dtype=object)
    return DataProto.from_dict(tensors={"responses": responses, "attention_mask": mask},
                               non_tensors={k: column(k) for k in ("data_source", "reward_model", "extra_info")})

def scores(worker, cases):
    data = batch(worker, cases)
    return [out["reward_score"] for out in worker.loop.run_until_complete(worker.compute_score_batch(data))]

def config(overrides):
    with initialize_config_dir(config_dir=job["verl_config"], version_base=None):
        return compose(config_name="ppo_trainer", overrides=overrides)

workers = {name: RewardLoopWorker(config(overrides)) for name, overrides in job["configs"].items()}
result = {"in_process": {name: scores(worker, job["cases"][name]) for name, worker in workers.items()}}
# The same worker class as a Ray actor, as veRL's RewardLoopManager starts it.
ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
actor = ray.remote(RewardLoopWorker).remote(config(job["configs"]["recipe"]), None)
data = batch(workers["recipe"], job["ray_cases"])
result["ray"] = [out["reward_score"] for out in ray.get(actor.compute_score_batch.remote(data))]
ray.shutdown()
print("RESULT " + json.dumps(result))
"""


def test_verls_reward_worker_gives_the_papers_rewards_from_another_directory_and_in_ray(verl_data, tmp_path):
    tmp, tok, tok_think, _ = verl_data
    fail, no_code = "```python\nprint('no idea')\n```", "I would add the two numbers."
    thinking = f"<think>\nRead a and b, print the sum. Wait, negatives: int() handles them.\n</think>\n{SUM_OF_TWO}"
    parquets = {s: str(tmp / s / f"{'test' if s == 'val' else 'train'}.parquet") for s in ("train", "val", "think")}
    recipe = recipe_overrides(tmp_path, tok, str(tmp / "train"))
    think_recipe = recipe_overrides(tmp_path, tok_think, str(tmp / "think"))
    naive = [o for o in think_recipe if not o.startswith("reward.reward_manager.")] + ["reward.reward_manager.name=naive"]
    cases = {
        "recipe": [("train", "sum_of_two/t0", SUM_OF_TWO), ("train", "sum_of_two/t0", fail),
                   ("train", "sum_of_two/t0", no_code), ("val", "sum_of_two/t0", SUM_OF_TWO), ("val", "sum_of_two/t0", fail)],
        "thinking": [("think", "sum_of_two/t0", thinking)],
        "thinking_naive": [("think", "sum_of_two/t0", thinking)],
    }
    job = {"repo": REPO, "verl_config": VERL_CONFIG, "parquets": parquets, "cases": cases,
           "configs": {"recipe": recipe, "thinking": think_recipe, "thinking_naive": naive},
           "ray_cases": [("train", "sum_of_two/t0", SUM_OF_TWO), ("train", "sum_of_two/t0", fail)]}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-c", WORKER_SCRIPT, json.dumps(job)], cwd=elsewhere, env=env,
                            capture_output=True, text=True, timeout=600)
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    assert result.returncode == 0 and lines, result.stderr[-3000:]
    scores = json.loads(lines[-1][len("RESULT "):])
    # all tests pass 1.0, every test failed -0.1 (prev_best 0 at turn 0), no code block -1.0; validation 1 / 0
    assert scores["in_process"]["recipe"] == [1.0, pytest.approx(-0.1), -1.0, 1.0, 0.0]
    # A thinking reply whose `</think>` is a special token: the recipe's manager keeps it (format term 0),
    # veRL's naive manager deletes it and the reply scores as a broken format (1.0 - 0.9).
    assert scores["in_process"]["thinking"] == [1.0]
    assert scores["in_process"]["thinking_naive"] == [pytest.approx(0.1)]
    assert scores["ray"] == [1.0, pytest.approx(-0.1)]
