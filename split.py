"""Stage 2 of Cobalt: cut multi-turn trajectories into partial-trajectory prompts.

Reads a trajectory JSONL: collect.py's records, or the authors' released trajectory files
(same field names; there "all_pass_rates" holds the HIDDEN-test pass rates, which we
recombine with the public ones using each problem's real numbers of tests).

Turns count from 0 (turn 0 is the first program; METHOD.md, "Glossary"), and the turn-t prompt
is the partial trajectory in which the model writes its turn-t program: the problem, then the
programs of turns 0..t-1, each with its feedback. For every problem:
  1. drop it if every turn-0 program passes all tests (too easy);
  2. keep one turn-0 prompt (system + problem), prev_best_pass_rate = 0;
  3. per trajectory, the pass rate over all tests at every turn; diff = max - min;
  4. candidates: diff > 0 and the best turn reaches 1.0 (--validation: the single
     trajectory with the smallest positive diff);
  5. more than m candidates: max-variance down-sampling (PODS) over the subsets
     "lowest m-k plus highest k", k = 0..m;
  6. each kept trajectory gives its prompts for turns 1, 2, 3, with three stop rules (cut_turns);
  7. shuffle with a fixed seed.

Writes a prompt JSONL, one record per partial trajectory:
    {"example_id": "<problem id>/t<turn>[/s<sample>][/ptb]", "problem_id": str,
     "conversation": [system, user, (assistant, feedback user) x turn],
     "test_cases": JSON str (all tests), "difficulty": str,
     "prev_best_pass_rate": float (best all-test pass rate of the programs in the context),
     "turn": int (program+feedback pairs in the context), "perturbed": bool}
and, with --verl-parquet DIR, the same prompts in veRL's schema (DIR/train.parquet, or
DIR/test.parquet with --validation) for recipes/verl_cobalt.sh (veRL) with reward.compute_score:
    {"data_source": "cobalt", "prompt": conversation, "ability": "code",
     "reward_model": {"style": "rule", "ground_truth": test_cases},
     "extra_info": {"split", "index": example_id, "is_val", "prev_best_pass_rate", "thinking": bool,
                    with --thinking and --tokenizer also "tokenizer": the model that counts lengths}}
The parquet holds no prompt longer than --max-prompt-tokens: every prompt is measured with the
tokenizer's chat template (turn-0 prompts too) and the longer ones are dropped, their number and
example_ids printed, so veRL (recipes/verl_cobalt.sh, whose data.max_prompt_length is at least
this budget) never filters or truncates one. For a thinking model (the paper's 8B runs) pass
--thinking and --tokenizer, so compute_score takes the code after `</think>` and adds the
format term, with lengths counted by that tokenizer.

Commands:
    python split.py --trajectories runs/default/trajectories.jsonl --output runs/default/prompts.jsonl
    python split.py --trajectories runs/default/val_trajectories.jsonl --output runs/default/val_prompts.jsonl --validation
    python split.py --trajectories T.jsonl --output P.jsonl --verl-parquet data/verl --thinking --tokenizer MODEL
"""
import argparse
import collections
import json
import os
import random
import sys

import numpy as np

from conversation import chat_token_ids
from policy import load_tokenizer
from problems import BadInputError, read_trajectories, required_field, write_jsonl


# ---------------------------------------------------------------- pass rates per turn

def read_pass_rates(record: dict, where: str) -> tuple[list[list[float]], list[list[bool]]]:
    """Pass rate over ALL tests and "the feedback said all public tests passed", both [sample][turn].

    collect.py's records carry both directly ("all_pass_rates", "exec_results").
    The authors' files carry hidden-test rates in "all_pass_rates" and public-test rates in
    "public_pass_rates" [turn][sample]; the all-test rate is recombined from the counts of
    tests (their script assumes 4 public tests, which is wrong for problems with fewer).
    """
    def field(name):
        return required_field(record, name, where, str if name.endswith("test_cases") else list)

    if "hidden_pass_rates" in record:  # collect.py's schema
        rates, execs = field("all_pass_rates"), field("exec_results")
        public_passed = [[bool(e.get("has_code")) and len(e["public_passing"]) > 0 and all(e["public_passing"])
                          for e in sample] for sample in execs]
        return [[float(p) for p in sample] for sample in rates], public_passed

    hidden, public = field("all_pass_rates"), field("public_pass_rates")
    n_public = len(json.loads(field("public_test_cases"))["inputs"])
    n_all = len(json.loads(field("test_cases"))["inputs"])
    n_hidden = n_all - n_public
    rates, public_passed = [], []
    for s, sample in enumerate(hidden):
        passed = [round(h * n_hidden) + round(public[t][s] * n_public) for t, h in enumerate(sample)]
        rates.append([p / n_all for p in passed])
        public_passed.append([public[t][s] == 1.0 for t in range(len(sample))])
    return rates, public_passed


# ---------------------------------------------------------------- which trajectories

def too_easy(rates: list[list[float]]) -> bool:
    """Every turn-0 program passes all tests: nothing left to learn on this problem."""
    return all(sample[0] == 1.0 for sample in rates)


def candidate_trajectories(rates: list[list[float]], *, validation: bool = False) -> list[int]:
    """Indices of trajectories that show an improvement, sorted by diff = max - min (ties: index).

    Training: diff > 0 and some turn passes all tests. Validation (the authors' test mode):
    only diff > 0, and just the one with the smallest diff.
    """
    diffs = [max(s) - min(s) for s in rates]
    chosen = [i for i, s in enumerate(rates) if diffs[i] > 0 and (validation or max(s) == 1.0)]
    chosen.sort(key=lambda i: diffs[i])
    return chosen[:1] if validation else chosen


def pods_subsets(n: int, m: int) -> list[list[int]]:
    """The m+1 subsets "lowest m-k plus highest k" (k = 0..m) of n values sorted ascending.

    The authors' loop stops at k = m-1. Adding k = m (all highest) never changes the winner,
    since it can at best tie k = m-1: both share the top m-1 values, and the variance as a function
    of the remaining value falls towards their mean, which the m-th highest is closer to than the lowest.
    """
    return [list(range(m - k)) + list(range(n - k, n)) for k in range(m + 1)]


def max_variance_subset(diffs: list[float], m: int = 4) -> list[int]:
    """Max-variance down-sampling (PODS, arXiv 2504.13818) of `diffs` sorted ascending.

    Returns positions into `diffs`: the subset of pods_subsets whose values have the largest
    variance (ties: smallest k); all positions when there are at most m.
    Example: diffs [.1, .2, .3, .4, .5, 1.], m=2 -> k=0 [.1,.2] var .0025, k=1 [.1,1.] var .2025,
    k=2 [.5,1.] var .0625 -> positions [0, 5].
    """
    n = len(diffs)
    if n <= m:
        return list(range(n))
    subsets = pods_subsets(n, m)
    variances = [np.var([diffs[i] for i in s]) for s in subsets]
    return subsets[int(np.argmax(variances))]


# ---------------------------------------------------------------- where to cut

def cut_turns(rates: list[float], public_passed: list[bool], *, max_turn: int = 3,
              prompt_tokens=None, max_prompt_tokens: int = 10_000) -> tuple[list[int], str]:
    """The turns t (1..max_turn) whose prompts one trajectory gives, and why the cutting stopped.

    `rates` and `public_passed` are per turn of the trajectory. The turn-t prompt holds the
    programs of turns 0..t-1 and their feedback, so t runs up to len(rates): one turn past the
    last program collected. Cutting stops (no prompt for turn t nor later) when
      "public":  the feedbacks on the programs of turns t-2 and t-1 both said all public tests passed;
      "budget":  prompt_tokens(t) > max_prompt_tokens;
      "solved":  the program of turn t-1 passed all tests and so did the program of turn t, the
                 reference model's own answer to this very prompt. (The authors meant this rule
                 but compared turns t-1 and t+1; for the turn-1 prompt they skipped when the
                 programs of turns 0 and 2 passed.)
    The "solved" rule's exception: a prompt whose turn t-1 program already passes every test
    (prev_best_pass_rate 1) is kept when the turn-t program fails a test or was never collected
    (t = len(rates)). Such a prompt teaches keeping a correct program: only a program that passes
    every test then earns a positive reward. When the reference model's turn-t program passes
    too, the reference model already does that, and the prompt would teach nothing new.
    Returns (turns, reason) with reason "public", "budget", "solved" or "end".
    Examples: cut_turns([0, 1, 1], [False, True, True]) -> ([1], "solved");
              cut_turns([0, .5, 1], [False, False, True]) -> ([1, 2, 3], "end"), the turn-3 prompt kept.
    """
    turns = []
    for t in range(1, min(max_turn, len(rates)) + 1):
        if t >= 2 and public_passed[t - 2] and public_passed[t - 1]:
            return turns, "public"
        if prompt_tokens is not None and prompt_tokens(t) > max_prompt_tokens:
            return turns, "budget"
        if t < len(rates) and rates[t - 1] == 1.0 and rates[t] == 1.0:
            return turns, "solved"
        turns.append(t)
    return turns, "end"


def prompt_record(problem: dict, conversation: list[dict], *, turn: int, prev_best: float,
                  sample: int | None, perturbed: bool) -> dict:
    example_id = f"{problem['id']}/t{turn}" + (f"/s{sample}" if sample is not None else "") + ("/ptb" if perturbed else "")
    return {"example_id": example_id, "problem_id": problem["id"], "conversation": conversation,
            "test_cases": problem["test_cases"], "difficulty": problem.get("difficulty", ""),
            "prev_best_pass_rate": prev_best, "turn": turn, "perturbed": perturbed}


def split_problem(problem: dict, where: str, *, m: int = 4, max_turn: int = 3, validation: bool = False,
                  count_tokens=None, max_prompt_tokens: int = 10_000, perturbed: bool = False,
                  stats: collections.Counter | None = None) -> list[dict]:
    """All prompts of one problem's trajectories (steps 1-6 of the module docstring; main shuffles, step 7)."""
    stats = stats if stats is not None else collections.Counter()
    stats["problems"] += 1
    rates, public_passed = read_pass_rates(problem, where)
    conversations = problem.get("conversations")
    if not isinstance(conversations, list) or len(conversations) != len(rates):
        raise BadInputError(f"{where}, field 'conversations': must hold one conversation per trajectory ({len(rates)})")
    for s, (conv, r) in enumerate(zip(conversations, rates)):
        if not r or len(conv) < 2 + 2 * len(r):
            raise BadInputError(f"{where}, field 'conversations[{s}]': {len(conv)} messages, "
                                f"fewer than the {2 + 2 * len(r)} that {len(r)} scored programs need")
    if too_easy(rates):
        stats["too_easy"] += 1
        return []

    # A perturbed trajectory differs from a clean one only after its first feedback.
    prompts = [] if perturbed else [prompt_record(problem, conversations[0][:2], turn=0, prev_best=0.0,
                                                  sample=None, perturbed=False)]
    chosen = candidate_trajectories(rates, validation=validation)
    diffs = [max(rates[i]) - min(rates[i]) for i in chosen]
    kept = [chosen[p] for p in max_variance_subset(diffs, m)]
    stats["with_candidates"] += bool(kept)
    stats["trajectories_kept"] += len(kept)
    for s in kept:
        conv = conversations[s]
        tokens = None if count_tokens is None else (lambda t: count_tokens(conv[: 2 + 2 * t]))
        turns, reason = cut_turns(rates[s], public_passed[s], max_turn=max_turn,
                                  prompt_tokens=tokens, max_prompt_tokens=max_prompt_tokens)
        stats[f"stopped_{reason}"] += 1
        for t in turns:
            prompts.append(prompt_record(problem, conv[: 2 + 2 * t], turn=t, prev_best=max(rates[s][:t]),
                                         sample=s, perturbed=perturbed))
    return prompts


def mix_perturbed(clean: list[dict], perturbed: list[dict], ratio: float, rng: random.Random) -> list[dict]:
    """Add perturbed prompts so that they make up `ratio` of the result (all of them if too few).

    Example: 80 clean prompts, ratio 0.2 -> 20 perturbed prompts drawn at random, 100 in all.
    """
    wanted = round(ratio * len(clean) / (1.0 - ratio))
    if wanted > len(perturbed):
        print(f"split.py: only {len(perturbed)} perturbed prompts for the {wanted} that ratio {ratio} asks; using all",
              file=sys.stderr)
    return clean + rng.sample(perturbed, min(wanted, len(perturbed)))


# ---------------------------------------------------------------- files and tokens

def prompt_token_counter(tokenizer_name: str | None):
    """A function conversation -> number of prompt tokens, with the model's own tokenizer and chat template."""
    tokenizer = load_tokenizer(tokenizer_name)
    return lambda conversation: len(chat_token_ids(tokenizer, conversation))


def verl_rows(prompts: list[dict], split: str, *, thinking: bool = False, tokenizer: str | None = None) -> list[dict]:
    """The prompts in veRL's RL dataset schema (reward_model.ground_truth = all tests). extra_info
    is what reward.compute_score reads: thinking turns on the format term, tokenizer names the
    model whose tokenizer counts its lengths."""
    extra = {"thinking": thinking, **({"tokenizer": tokenizer} if thinking and tokenizer else {})}
    return [{"data_source": "cobalt", "prompt": p["conversation"], "ability": "code",
             "reward_model": {"style": "rule", "ground_truth": p["test_cases"]},
             "extra_info": {"split": split, "index": p["example_id"], "is_val": split == "test",
                            "prev_best_pass_rate": p["prev_best_pass_rate"], **extra}} for p in prompts]


def over_budget(prompts: list[dict], count_tokens, max_prompt_tokens: int) -> list[str]:
    """example_ids of the prompts longer than max_prompt_tokens, every prompt measured (turn 0 too:
    cut_turns never measures it). veRL would drop them (data.filter_overlong_prompts) or, without
    that filter, left-truncate them, cutting the system prompt and the statement first."""
    return [p["example_id"] for p in prompts if count_tokens(p["conversation"]) > max_prompt_tokens]


def write_verl_parquet(prompts: list[dict], directory: str, split: str, **options) -> str:
    """DIR/<split>.parquet of verl_rows(prompts, split, **options)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise SystemExit("split.py: --verl-parquet needs pyarrow: pip install pyarrow") from None
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"{split}.parquet")
    pq.write_table(pa.Table.from_pylist(verl_rows(prompts, split, **options)), path)
    return path


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Stage 2 of Cobalt: cut trajectories into partial-trajectory prompts.")
    p.add_argument("--trajectories", required=True, help="trajectory JSONL from collect.py (or the authors' files)")
    p.add_argument("--output", required=True, help="prompt JSONL to write")
    p.add_argument("--validation", action="store_true",
                   help="validation set: one trajectory per problem, the one with the smallest positive diff")
    p.add_argument("--m", type=int, default=4, help="trajectories kept per problem by max-variance down-sampling")
    p.add_argument("--max-turn", type=int, default=3,
                   help="prompts for turns 0..MAX_TURN; the turn-t prompt holds the programs of turns 0..t-1 and "
                        "their feedback (0: turn-0 prompts only)")
    p.add_argument("--max-prompt-tokens", type=int, default=10_000, help="stop cutting a trajectory past this prompt length")
    p.add_argument("--tokenizer", default=None,
                   help="model folder or .gguf whose tokenizer and chat template count prompt tokens (default: the embedded SmolLM2)")
    p.add_argument("--perturbed", default=None, help="trajectory JSONL collected on perturbed public tests (Cobalt-PTB)")
    p.add_argument("--perturbed-ratio", type=float, default=0.5,
                   help="with --perturbed: fraction of the output prompts cut from perturbed trajectories")
    p.add_argument("--seed", type=int, default=42, help="seed of the final shuffle and of the perturbed draw")
    p.add_argument("--verl-parquet", default=None, metavar="DIR",
                   help="also write the prompts in veRL's schema to DIR/train.parquet (DIR/test.parquet with --validation), "
                        "without those longer than --max-prompt-tokens")
    p.add_argument("--thinking", action="store_true",
                   help="thinking model (as collect.py --thinking): the parquet rows tell reward.compute_score to "
                        "take the code after </think> and add the format term, its lengths counted with --tokenizer")
    args = p.parse_args(argv)
    if args.thinking and not args.verl_parquet:
        p.error("--thinking only changes the --verl-parquet rows; add --verl-parquet DIR")
    if args.thinking and not args.tokenizer:
        p.error("--thinking needs --tokenizer MODEL: the thinking model whose tokenizer measures the format term's lengths")
    if not 0.0 <= args.perturbed_ratio < 1.0:
        p.error("--perturbed-ratio must be in [0, 1)")
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    count_tokens = prompt_token_counter(args.tokenizer)
    options = dict(m=args.m, max_turn=args.max_turn, validation=args.validation,
                   count_tokens=count_tokens, max_prompt_tokens=args.max_prompt_tokens)
    stats, ptb_stats = collections.Counter(), collections.Counter()
    rng = random.Random(args.seed)
    try:
        prompts = [p for record, where in read_trajectories(args.trajectories)
                   for p in split_problem(record, where, stats=stats, **options)]
        if args.perturbed:
            perturbed = [p for record, where in read_trajectories(args.perturbed)
                         for p in split_problem(record, where, perturbed=True, stats=ptb_stats, **options)]
            prompts = mix_perturbed(prompts, perturbed, args.perturbed_ratio, rng)
    except (BadInputError, OSError) as e:
        print(f"split.py: {e}", file=sys.stderr)
        sys.exit(2)
    rng.shuffle(prompts)

    write_jsonl(prompts, args.output)
    per_turn = collections.Counter(p["turn"] for p in prompts)
    print(f"problems: {stats['problems']}, too easy: {stats['too_easy']}, "
          f"kept: {stats['problems'] - stats['too_easy']} ({stats['with_candidates']} with improving trajectories, "
          f"{stats['trajectories_kept']} trajectories kept)")
    print(f"cutting stopped: public tests passed twice {stats['stopped_public']}, token budget {stats['stopped_budget']}, "
          f"solved twice {stats['stopped_solved']}, end of trajectory {stats['stopped_end']}")
    print(f"prompts: {len(prompts)} ({', '.join(f'turn {t}: {per_turn[t]}' for t in sorted(per_turn))}; "
          f"perturbed: {sum(p['perturbed'] for p in prompts)}) -> {args.output}")
    if args.verl_parquet:
        dropped = set(over_budget(prompts, count_tokens, args.max_prompt_tokens))
        if dropped:
            print(f"veRL parquet: dropped {len(dropped)} prompts longer than {args.max_prompt_tokens} tokens: "
                  f"{', '.join(sorted(dropped))}")
        path = write_verl_parquet([p for p in prompts if p["example_id"] not in dropped], args.verl_parquet,
                                  "test" if args.validation else "train", thinking=args.thinking, tokenizer=args.tokenizer)
        print(f"veRL parquet: {path} ({len(prompts) - len(dropped)} prompts)")


if __name__ == "__main__":
    main()
