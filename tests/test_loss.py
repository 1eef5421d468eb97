"""grpo.py's advantages, loss and log-probs (what train_bandit.py and train_online.py share) against numbers worked out by hand."""
import math

import pytest
import torch

import grpo
import train_bandit
from tiny_model import build_tiny_model


def test_group_advantages():
    adv = grpo.group_advantages(torch.tensor([[1.0, 0.0], [1.0, 1.0]]))  # all-equal rewards: 0
    assert torch.allclose(adv, torch.tensor([[0.70710, -0.70710], [0.0, 0.0]]), atol=1e-4)
    # mean .25, std with Bessel's correction sqrt((.5625 + 3 * .0625) / 3) = .5
    adv = grpo.group_advantages(torch.tensor([[1.0, 0.0, 0.0, 0.0]]))
    assert torch.allclose(adv, torch.tensor([[1.5, -0.5, -0.5, -0.5]]), atol=1e-4)


def loss_of(ratio, adv, *, mask=None, **kw):
    """Loss and d loss / d log_probs for one row of tokens with the given ratios."""
    old = torch.zeros(1, len(ratio))
    log_probs = torch.log(torch.tensor([ratio])).requires_grad_(True)
    mask = torch.ones_like(old) if mask is None else torch.tensor([mask])
    loss, stats = grpo.policy_loss(log_probs, old, None, torch.tensor([adv]), mask, kl_coef=0.0, **kw)
    loss.backward()
    return loss.item(), log_probs.grad[0].tolist(), stats


def test_ratio_one_is_minus_advantage_token_mean_with_mask():
    old = torch.zeros(2, 3)
    log_probs = old.clone().requires_grad_(True)
    mask = torch.tensor([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    loss, stats = grpo.policy_loss(log_probs, old, None, torch.tensor([1.0, -1.0]), mask, kl_coef=0.0)
    loss.backward()
    assert loss.item() == pytest.approx((-1 - 1 + 1) / 3)  # three real tokens
    assert torch.allclose(log_probs.grad, torch.tensor([[-1 / 3, -1 / 3, 0.0], [1 / 3, 0.0, 0.0]]))
    assert stats["clipfrac"] == 0.0 and stats["approx_kl"] == 0.0 and stats["kl"] == 0.0


def test_clipping_on_each_side_for_positive_advantage():
    # A = 1: above 1 + 0.4 the clipped term wins (no gradient); below 1 - 0.2 the unclipped one does.
    loss, grad, stats = loss_of([1.5], 1.0)
    assert loss == pytest.approx(-1.4) and grad == [0.0] and stats["clipfrac"] == 1.0
    loss, grad, stats = loss_of([0.5], 1.0)
    assert loss == pytest.approx(-0.5) and grad[0] == pytest.approx(-0.5) and stats["clipfrac"] == 0.0
    loss, grad, _ = loss_of([1.3], 1.0)  # inside [0.8, 1.4]
    assert loss == pytest.approx(-1.3) and grad[0] == pytest.approx(-1.3)


def test_clipping_on_each_side_for_negative_advantage():
    # A = -1: below 1 - 0.2 the clipped term wins; above 1 + 0.4 the unclipped one does.
    loss, grad, stats = loss_of([0.5], -1.0)
    assert loss == pytest.approx(0.8) and grad == [0.0] and stats["clipfrac"] == 1.0
    loss, grad, stats = loss_of([1.5], -1.0)
    assert loss == pytest.approx(1.5) and grad[0] == pytest.approx(1.5) and stats["clipfrac"] == 0.0


def test_dual_clip_bounds_the_loss_of_negative_advantage_tokens_at_three():
    # veRL: for A < 0, pg_loss = min(max(pg_loss1, pg_loss2), -A * clip_ratio_c), clip_ratio_c = 3.
    # ratio 4.48, A = -1: max(4.48, 1.4) = 4.48, min(4.48, 3) = 3.0 and no gradient.
    loss, grad, _ = loss_of([4.48], -1.0)
    assert loss == pytest.approx(3.0) and grad == [0.0]
    loss, grad, _ = loss_of([4.48], -1.0, clip_ratio_c=float("inf"))  # off: the old loss
    assert loss == pytest.approx(4.48) and grad[0] == pytest.approx(4.48)
    loss, grad, _ = loss_of([4.48], -0.5, clip_ratio_c=5.0)  # 0.5 * 4.48 = 2.24 < 0.5 * 5 = 2.5: not bounded
    assert loss == pytest.approx(2.24) and grad[0] == pytest.approx(2.24)
    loss, grad, _ = loss_of([4.48], 1.0)  # positive advantage: the upper clip alone, -1.4
    assert loss == pytest.approx(-1.4) and grad == [0.0]
    loss, grad, _ = loss_of([4.48], 0.0, clip_ratio_c=float("inf"))  # -0 * inf is nan, but never chosen
    assert loss == 0.0 and grad == [0.0]


def test_dual_clip_on_a_mixed_micro_batch():
    # Two sequences of one token: ratio 4.48 with A = -1 (bounded at 3) and ratio 1 with A = 2 (-2).
    # Token mean: (3 - 2) / 2 = 0.5 (without dual-clip (4.48 - 2) / 2 = 1.24); gradient 0 and -2/2.
    old = torch.zeros(2, 1)
    log_probs = torch.log(torch.tensor([[4.48], [1.0]])).requires_grad_(True)
    loss, _ = grpo.policy_loss(log_probs, old, None, torch.tensor([-1.0, 2.0]), torch.ones(2, 1), kl_coef=0.0)
    loss.backward()
    assert loss.item() == pytest.approx(0.5)
    assert log_probs.grad[:, 0].tolist() == pytest.approx([0.0, -1.0])
    unbounded, _ = grpo.policy_loss(log_probs, old, None, torch.tensor([-1.0, 2.0]), torch.ones(2, 1), kl_coef=0.0,
                                  clip_ratio_c=float("inf"))
    assert unbounded.item() == pytest.approx(1.24)


def test_clip_ratio_c_flag_default_and_bound():
    assert train_bandit.parse_args(["--prompts", "p", "--output-dir", "o"]).clip_ratio_c == 3.0
    assert train_bandit.parse_args(["--prompts", "p", "--output-dir", "o", "--clip-ratio-c", "inf"]).clip_ratio_c == math.inf
    with pytest.raises(SystemExit):
        train_bandit.parse_args(["--prompts", "p", "--output-dir", "o", "--clip-ratio-c", "1.0"])


def test_asymmetric_clip_flags_and_approx_kl():
    loss, _, stats = loss_of([1.5, 1.0], 1.0, clip_low=0.1, clip_high=0.6)  # 1.5 is inside [0.9, 1.6]
    assert loss == pytest.approx((-1.5 - 1.0) / 2) and stats["clipfrac"] == 0.0
    assert stats["approx_kl"] == pytest.approx(((0.5 - math.log(1.5)) + 0.0) / 2, rel=1e-5)


def test_kl_forms():
    lp, ref = math.log(0.5), math.log(0.25)
    log_probs = torch.tensor([[lp]], requires_grad=True)
    args = (log_probs, log_probs.detach(), torch.tensor([[ref]]), torch.tensor([0.0]), torch.ones(1, 1))
    loss, stats = grpo.policy_loss(*args, kl_coef=0.1, kl_type="mse")
    assert stats["kl"] == pytest.approx(0.5 * math.log(2) ** 2, rel=1e-5) and loss.item() == pytest.approx(0.1 * stats["kl"])
    loss.backward()  # d/dlp 0.1 * 0.5 * (lp - ref)^2 = 0.1 * ln 2
    assert log_probs.grad.item() == pytest.approx(0.1 * math.log(2), rel=1e-5)
    _, stats = grpo.policy_loss(*args, kl_coef=0.1, kl_type="k3")
    assert stats["kl"] == pytest.approx(0.5 + math.log(2) - 1.0, rel=1e-5)  # exp(-ln 2) + ln 2 - 1


def test_micro_batches_accumulate_the_token_mean_of_the_whole_mini_batch():
    torch.manual_seed(0)
    old = torch.randn(4, 5)
    log_probs = (old + 0.1 * torch.randn(4, 5)).requires_grad_(True)
    adv = torch.tensor([1.0, -0.5, 2.0, -1.0])
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 0, 0, 0, 0], [1, 1, 0, 0, 0], [1, 1, 1, 0, 0]], dtype=torch.float)
    full, _ = grpo.policy_loss(log_probs, old, None, adv, mask, kl_coef=0.0)
    full_grad = torch.autograd.grad(full, log_probs)[0]
    parts = [grpo.policy_loss(log_probs[s], old[s], None, adv[s], mask[s], kl_coef=0.0, num_tokens=mask.sum())[0]
             for s in (slice(0, 2), slice(2, 4))]
    assert torch.allclose(torch.autograd.grad(sum(parts), log_probs)[0], full_grad)
    means = [grpo.policy_loss(log_probs[s], old[s], None, adv[s], mask[s], kl_coef=0.0)[0] for s in (slice(0, 2), slice(2, 4))]
    assert not torch.allclose(sum(means) / 2, full)  # a mean of micro-batch means is a different objective


def test_completion_log_probs_match_one_sequence_at_a_time(tmp_path):
    from transformers import AutoModelForCausalLM
    model = AutoModelForCausalLM.from_pretrained(build_tiny_model(str(tmp_path / "tiny")))
    prompts, completions = [[5, 6, 7, 8], [9, 10]], [[11, 12], [13, 14, 15]]
    log_probs, mask = grpo.completion_log_probs(model, prompts, completions, pad_id=0)
    assert mask.tolist() == [[1, 1, 0], [1, 1, 1]]
    for row, (p, c) in enumerate(zip(prompts, completions)):
        logits = model(input_ids=torch.tensor([p + c])).logits[0, len(p) - 1:-1]
        expected = torch.log_softmax(logits, -1).gather(-1, torch.tensor(c).unsqueeze(-1)).squeeze(-1)
        assert torch.allclose(log_probs[row, :len(c)], expected, atol=1e-5)


def test_plan_micro_batches_splits_groups_then_sequences():
    lengths = [5, 1, 4, 2, 9, 9, 3, 3]  # 4 groups of G=2
    plan = grpo.plan_micro_batches([[0, 1], [2, 3], [6, 7]], lengths, mini_batches=2, size=3)
    assert plan == [[[1, 3, 2], [0]], [[6, 7]]]  # groups {0, 1} and {3}; group 2 was left out
