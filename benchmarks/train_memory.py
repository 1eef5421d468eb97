"""Peak memory of one train_bandit.py update at a real model's shape, against the estimate of RESULTS.md.

Builds a randomly initialised model of a named shape (the config values of Qwen2.5-0.5B and
-1.5B-Instruct; nothing is downloaded), with float32 weights as train_bandit.py keeps them, a
frozen copy as the reference model and AdamW, then runs one grpo.update (train_bandit.py's update): --prompts x G
completions of --response-tokens tokens after --prompt-tokens-token prompts (every completion
full length, the worst case), 2 mini-batches of micro-batches of --micro-batch, under
train_bandit's --precision (bfloat16 autocast on a GPU). Prints the peak memory (on a GPU
torch.cuda.max_memory_allocated, on a CPU the peak RSS) beside the estimate RESULTS.md gives:
20 bytes a parameter (weights, gradients, two AdamW moments, the reference model) plus the
logits of a micro-batch and their gradient (speedups.TokenLogProbs keeps nothing else of
that size): 2 x 2 bytes per response token and vocabulary entry under bfloat16 autocast,
2 x 4 in float32. Activations are what the estimate leaves out, so the last column is the
measured peak over the estimate.

    python benchmarks/train_memory.py --shape qwen2.5-1.5b --micro-batch 2 --gradient-checkpointing
    python benchmarks/train_memory.py --shape tiny --device cpu      (seconds; what the tests run)
"""
import argparse
import os
import resource
import sys
import time
from types import SimpleNamespace

import torch
from transformers import Qwen2Config, Qwen2ForCausalLM

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import grpo  # noqa: E402
import speedups  # noqa: E402
import train_bandit  # noqa: E402

SHAPES = {  # hidden, intermediate, layers, attention heads, key-value heads, vocabulary
    "qwen2.5-0.5b": (896, 4864, 24, 14, 2, 151936),
    "qwen2.5-1.5b": (1536, 8960, 28, 12, 2, 151936),
    "tiny": (64, 128, 2, 4, 2, 1000),
}
GIB = 2 ** 30


def build(shape: str, device: str):
    hidden, intermediate, layers, heads, kv_heads, vocab = SHAPES[shape]
    config = Qwen2Config(hidden_size=hidden, intermediate_size=intermediate, num_hidden_layers=layers,
                         num_attention_heads=heads, num_key_value_heads=kv_heads, vocab_size=vocab,
                         tie_word_embeddings=True, max_position_embeddings=32768)
    with torch.device(device):
        return Qwen2ForCausalLM(config).float().eval()


def peak_bytes(device: str) -> int:
    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated()
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shape", choices=sorted(SHAPES), default="qwen2.5-1.5b")
    p.add_argument("--prompts", type=int, default=2, help="prompts in the update")
    p.add_argument("--group-size", type=int, default=16, help="G")
    p.add_argument("--prompt-tokens", type=int, default=1024)
    p.add_argument("--response-tokens", type=int, default=2048)
    p.add_argument("--micro-batch", type=int, default=2)
    p.add_argument("--gradient-checkpointing", action="store_true")
    p.add_argument("--precision", choices=["auto", "bf16", "fp32"], default="auto")
    p.add_argument("--device", default=None, help="cuda or cpu (default: cuda if available)")
    args = p.parse_args(argv)
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(0)

    model = build(args.shape, device)
    ref_model = build(args.shape, device).requires_grad_(False)
    ref_model.load_state_dict(model.state_dict())
    if args.gradient_checkpointing:
        model.gradient_checkpointing_enable()
    params = sum(t.numel() for t in model.parameters())
    vocab = model.config.vocab_size
    trainer = train_bandit.parse_args(["--prompts", "-", "--output-dir", "-", "--micro-batch", str(args.micro_batch),
                                       "--group-size", str(args.group_size), "--precision", args.precision])
    trainer.old_log_probs = speedups.old_log_probs_source(trainer.old_log_probs, torch.device(device), args.precision)
    optimizer = torch.optim.AdamW(model.parameters(), lr=trainer.lr, weight_decay=trainer.weight_decay)
    policy = SimpleNamespace(model=model, tokenizer=SimpleNamespace(pad_token_id=0), device=torch.device(device))

    n = args.prompts * args.group_size
    prompts = [torch.randint(1, vocab, (args.prompt_tokens,)).tolist() for _ in range(args.prompts)]
    prompts = [prompts[i // args.group_size] for i in range(n)]
    completions = [torch.randint(1, vocab, (args.response_tokens,)).tolist() for _ in range(n)]
    sampled = [[-5.0] * args.response_tokens for _ in range(n)]
    advantages = torch.randn(n)
    plan = grpo.plan_micro_batches([list(range(g * args.group_size, (g + 1) * args.group_size)) for g in range(args.prompts)],
                                   [args.prompt_tokens + args.response_tokens] * n, 2, args.micro_batch)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    stats = grpo.update(policy, ref_model, optimizer, prompts, completions, sampled, advantages, plan, trainer)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start

    static = 20 * params
    bf16 = speedups.uses_bf16(torch.device(device), args.precision)
    logits = 2 * (2 if bf16 else 4) * args.micro_batch * args.response_tokens * vocab
    peak = peak_bytes(device)
    print(f"{args.shape}: {params / 1e6:.1f} M parameters, vocabulary {vocab}; {n} completions of "
          f"{args.prompt_tokens} + {args.response_tokens} tokens, micro-batch {args.micro_batch}, "
          f"gradient checkpointing {'on' if args.gradient_checkpointing else 'off'}, "
          f"{'bf16 autocast' if bf16 else 'fp32'}, "
          f"old log-probs {trainer.old_log_probs}, {device}")
    print(f"{'estimate: 20 B/param':>22}{'+ logits':>10}{'= estimate':>12}{'measured peak':>15}{'peak/estimate':>15}{'update s':>10}")
    print(f"{static / GIB:>20.2f} G{logits / GIB:>8.2f} G{(static + logits) / GIB:>10.2f} G{peak / GIB:>13.2f} G"
          f"{peak / (static + logits):>14.2f}x{seconds:>10.1f}")
    return {"params": params, "peak": peak, "estimate": static + logits, "grad_norm": stats["losses/grad_norm"]}


if __name__ == "__main__":
    main()
