#!/usr/bin/env bash
# Cobalt's stage 3 (online contextual-bandit learning) on veRL 0.9.1, the version pinned in
# requirements-verl.txt: the paper's 8B setting (R1-Distill-Llama-8B or Qwen3-8B) on one node.
#
#   MODEL=/models/DeepSeek-R1-Distill-Llama-8B DATA=runs/verl N_GPUS=4 bash recipes/verl_cobalt.sh
#
# MODEL: the model folder (or a hub name in the local cache); DATA: the folder holding
# train.parquet and test.parquet from `split.py --verl-parquet` (README, "The paper's 8B
# setting"); N_GPUS: 4 (the authors' node) or 8. Overrides given after the script's name
# are appended and win, e.g. `bash recipes/verl_cobalt.sh trainer.total_epochs=1`.
# Every key below is read by veRL 0.9.1: tests/test_verl_recipe.py composes them with veRL's
# own config and runs veRL's own validation on them.
set -euo pipefail
: "${MODEL:?set MODEL to the model folder (or a hub name in the local cache)}"
DATA=$(realpath -m "${DATA:-runs/verl}")
N_GPUS=${N_GPUS:-4}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

overrides=(
    # GRPO (METHOD.md, "The equations"): advantage (r - mean) / (std + 1e-6) within a group, no critic.
    algorithm.adv_estimator=grpo
    algorithm.norm_adv_by_std_in_grpo=True
    algorithm.use_kl_in_reward=False

    # Data: 128 prompts a step; 10,240 prompt and 6,144 response tokens. split.py's budget
    # (--max-prompt-tokens, 10,000) is below max_prompt_length and it drops every longer prompt,
    # turn 0 included; the filter is a second guard: veRL 0.9.1 would otherwise left-truncate an
    # over-long prompt without a word (system prompt and statement first). data.truncation is
    # read but no longer applied to RL prompts by this version, so it is not set.
    data.train_files="$DATA/train.parquet"
    data.val_files="$DATA/test.parquet"
    data.train_batch_size=128
    data.max_prompt_length=10240
    data.max_response_length=6144
    data.filter_overlong_prompts=True

    # The policy: the reference model itself is trained (bf16 compute, activation checkpointing).
    actor_rollout_ref.model.path="$MODEL"
    actor_rollout_ref.model.enable_gradient_checkpointing=True
    actor_rollout_ref.model.use_remove_padding=True

    # Optimiser: AdamW, lr 1e-6 constant, weight decay 0.01, gradient norm clipped at 1.0.
    actor_rollout_ref.actor.optim.lr=1e-6
    actor_rollout_ref.actor.optim.weight_decay=0.01
    actor_rollout_ref.actor.grad_clip=1.0

    # Updates: the 128 prompts of a step in 2 mini-batches of 64 (x G = 16 completions), one
    # epoch over each step's samples; one sequence per GPU per micro-batch (16K tokens).
    actor_rollout_ref.actor.ppo_mini_batch_size=64
    actor_rollout_ref.actor.ppo_epochs=1
    actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu=1
    actor_rollout_ref.actor.use_dynamic_bsz=False

    # Loss: clipped ratio, asymmetric clip 0.2 / 0.4, dual clip c = 3, token-mean aggregation,
    # KL to the starting model as a loss term (mse: 0.5 (logp - logp_ref)^2, coefficient 1e-4),
    # no entropy bonus.
    actor_rollout_ref.actor.clip_ratio_low=0.2
    actor_rollout_ref.actor.clip_ratio_high=0.4
    actor_rollout_ref.actor.clip_ratio_c=3
    actor_rollout_ref.actor.loss_agg_mode=token-mean
    actor_rollout_ref.actor.use_kl_loss=True
    actor_rollout_ref.actor.kl_loss_coef=0.0001
    actor_rollout_ref.actor.kl_loss_type=mse
    actor_rollout_ref.actor.entropy_coeff=0

    # The frozen reference model of the KL term (its weights offloaded to CPU between uses).
    actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu=1
    actor_rollout_ref.ref.fsdp_config.param_offload=True

    # Sampling: a group of G = 16 completions per prompt at temperature 1.0, with vLLM
    # (tensor parallel over 2 GPUs). Validation: one completion at the collection's 0.6 / 0.95.
    actor_rollout_ref.rollout.name=vllm
    actor_rollout_ref.rollout.n=16
    actor_rollout_ref.rollout.temperature=1.0
    actor_rollout_ref.rollout.top_p=1.0
    actor_rollout_ref.rollout.tensor_model_parallel_size=2
    actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu=1
    actor_rollout_ref.rollout.val_kwargs.do_sample=True
    actor_rollout_ref.rollout.val_kwargs.temperature=0.6
    actor_rollout_ref.rollout.val_kwargs.top_p=0.95
    actor_rollout_ref.rollout.val_kwargs.n=1

    # Reward (METHOD.md, "The equations"): reward.compute_score runs all tests in our sandbox; the
    # validation rows (is_val) get 0/1. veRL's naive manager calls it once per completion and
    # lets a scoring error stop the step; ours differs only in keeping a special `</think>`
    # in the text it decodes (recipes/verl_reward_manager.py).
    reward.custom_reward_function.path="$REPO/reward.py"
    reward.custom_reward_function.name=compute_score
    reward.reward_manager.source=importlib
    reward.reward_manager.module.path="$REPO/recipes/verl_reward_manager.py"
    reward.reward_manager.name=CobaltRewardManager

    # Schedule: 2 epochs over the prompts, on one node.
    trainer.total_epochs=2
    trainer.nnodes=1
    trainer.n_gpus_per_node="$N_GPUS"
    trainer.project_name=cobalt
    trainer.experiment_name="$(basename "$MODEL")"
    trainer.logger="[console]"
    trainer.test_freq=10
    trainer.save_freq=10
)

exec python3 -m verl.trainer.main_ppo "${overrides[@]}" "$@"
