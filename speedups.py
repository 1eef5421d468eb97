"""What cobalt computes faster or in less memory than the plain way: a reader learning the
method can skip this file. Each piece stands beside the way it replaces, and
tests/test_speedups.py shows that they agree.

    token_log_probs(logits, targets, T)    = plain_token_log_probs(...), without a float32 copy of
                                             the [B, C, V] logits (TokenLogProbs, chunked)
    SampledLogProbs                        the old log-probs recorded while `generate` samples, in
                                             place of a forward pass over the completions afterwards
    recorded_log_probs(rows, device)       those recorded lists as a right-padded [B, C] tensor
    bfloat16_is_native(device)             whether bfloat16 runs in hardware (the default dtype)
    amp(device, precision)                 bfloat16 autocast where bfloat16 is native
    old_log_probs_source(choice, ...)      which of the two old log-probs "auto" uses
    overlapped_turns(chunks, ...)          rollout.plain_turns, with generation and the sandbox
                                             working at the same time
    converted_folder(gguf_path)            where policy.load_policy keeps a GGUF model converted to a
    keep_converted(model, tokenizer, path)   transformers folder, read in 0.4-0.5 s instead of 26-60 s
    packed_linears(model, rows)            within the block, every large nn.Linear multiplies by a copy of
                                             its weight that oneDNN laid out for `rows`-row inputs
                                             (CPU, float32): the products of F.linear, faster
"""
import concurrent.futures
import contextlib
import os
import shutil
import tempfile
import time

import torch
from transformers import LogitsProcessor

# ---------------------------------------------------------------- log-probs of chosen tokens


def plain_token_log_probs(logits: torch.Tensor, targets: torch.Tensor, temperature: float) -> torch.Tensor:
    """log_softmax(logits / T)[target] at every position: [B, C, V], [B, C] -> [B, C] float32.

    The formula. For backward it keeps a float32 copy of the logits and builds float32 gradients
    of the same size: about 16 bytes a vocabulary entry, the largest share of a GPU update's memory."""
    return (logits.float() / temperature).log_softmax(-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)


class TokenLogProbs(torch.autograd.Function):
    """plain_token_log_probs in float32 a chunk of rows at a time.

    The forward keeps only the logits, in their own dtype, and the [B, C] log-sum-exp; the
    backward writes the gradient, (one_hot(target) - softmax(logits / T)) / T, chunk by chunk
    into a tensor of the logits' dtype. The arithmetic is float32 throughout, as in the formula.
    """
    CHUNK_ENTRIES = 2 ** 24  # float32 temporaries of about 64 MB at a time

    @staticmethod
    def forward(ctx, logits, targets, temperature):
        flat, index = logits.reshape(-1, logits.shape[-1]), targets.reshape(-1, 1)
        rows = max(1, TokenLogProbs.CHUNK_ENTRIES // flat.shape[1])
        lse = torch.cat([torch.logsumexp(flat[s:s + rows].float() / temperature, dim=-1) for s in range(0, len(flat), rows)])
        picked = flat.gather(1, index).squeeze(1).float() / temperature
        ctx.save_for_backward(logits, targets, lse)
        ctx.temperature, ctx.rows = temperature, rows
        return (picked - lse).view(targets.shape)

    @staticmethod
    def backward(ctx, grad_out):
        logits, targets, lse = ctx.saved_tensors
        flat, index, g = logits.reshape(-1, logits.shape[-1]), targets.reshape(-1, 1), grad_out.reshape(-1, 1).float()
        grad = torch.empty_like(flat)
        for s in range(0, len(flat), ctx.rows):
            e = s + ctx.rows
            chunk = torch.exp(flat[s:e].float() / ctx.temperature - lse[s:e, None]) * -g[s:e]  # -softmax * g
            chunk.scatter_add_(1, index[s:e], g[s:e])  # + one_hot * g
            grad[s:e] = chunk / ctx.temperature
        return grad.view_as(logits), None, None


def token_log_probs(logits: torch.Tensor, targets: torch.Tensor, temperature: float) -> torch.Tensor:
    """The same values and gradients as plain_token_log_probs, in less memory."""
    return TokenLogProbs.apply(logits, targets, temperature)


# ---------------------------------------------------------------- old log-probs recorded while sampling


class SampledLogProbs(LogitsProcessor):
    """Records the log-prob of every sampled token under the distribution it was drawn from.

    The plain way is a no-grad forward pass over prompt + completion after sampling
    (grpo.completion_log_probs); in float32 the two agree to 3e-5.
    `generate` hands a logits processor the tokens so far and the scores of the next token,
    so the token drawn from step t's scores shows up as the last input id of step t+1's call;
    only the log-softmax of one step is kept, never a [batch, length, vocabulary] tensor.
    Custom processors run before generate's temperature warper, so the temperature is applied
    here, as completion_log_probs applies it. `finish(sequences)` takes the last token's.
    """

    def __init__(self, temperature: float):
        self.temperature, self.previous, self.steps = temperature, None, []

    def __call__(self, input_ids, scores):
        if self.previous is not None:
            self.steps.append(self.previous.gather(1, input_ids[:, -1:]))
        self.previous = torch.log_softmax(scores.float() / self.temperature, dim=-1)
        return scores

    def finish(self, sequences: torch.Tensor) -> torch.Tensor:
        """[batch, new tokens] log-probs of the sampled tokens (rows past a stop token: padding's)."""
        return torch.cat(self.steps + [self.previous.gather(1, sequences[:, -1:])], dim=1).cpu()


def recorded_log_probs(rows: list[list[float]], device) -> torch.Tensor:
    """Per-token values right-padded to [len(rows), longest row], as completion_log_probs lays them out."""
    out = torch.zeros(len(rows), max(map(len, rows)))
    for i, row in enumerate(rows):
        out[i, :len(row)] = torch.tensor(row)
    return out.to(device)


# ---------------------------------------------------------------- precision


def bfloat16_is_native(device: str | torch.device) -> bool:
    """True where bfloat16 matrix products run in hardware: every CUDA GPU, and CPUs with
    AVX512-BF16 or AMX. There the embedded model generates faster in bfloat16 than in float32
    (1.65x in batches of 16 on the AVX512-BF16 CPU of RESULTS.md, "Benchmarks": benchmarks/generation.py);
    elsewhere bfloat16 is emulated and slower."""
    if torch.device(device).type == "cuda":
        return True
    probes = [getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    return any(probe is not None and probe() for probe in probes)


def uses_bf16(device, precision: str) -> bool:
    """--precision: "auto" is bf16 where bfloat16 is native (a GPU, a CPU with AVX512-BF16 or AMX)."""
    return precision == "bf16" or (precision == "auto" and bfloat16_is_native(device))


def amp(device, precision: str):
    """bfloat16 autocast for sampling, log-probs and backward, or nothing ("fp32"). The weights and
    the optimizer stay float32 either way: an lr of 1e-6 vanishes in bfloat16 weights."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=uses_bf16(device, precision))


def old_log_probs_source(choice: str, device, precision: str) -> str:
    """--old-log-probs auto: "sampled" in float32, where the recorded log-probs equal a forward
    pass's to 3e-5; "recomputed" under bfloat16 autocast, where they differ by 0.03 on average."""
    if choice != "auto":
        return choice
    return "recomputed" if uses_bf16(device, precision) else "sampled"


# ---------------------------------------------------------------- generation and sandbox at once


def overlapped_turns(chunks, generate, run, stats):
    """rollout.plain_turns with two chunks in flight: the same chunks, finished in the same order.

    While chunk A's programs run in the sandbox (a background thread), chunk B generates its
    next turn; then they swap. Generation waits on the sandbox only when the sandbox is slower
    than generation, or at the very end when a single chunk is left; `stats.sandbox_wait_s`
    counts that wait.
    """
    chunks = iter(chunks)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        ready, in_sandbox = next(chunks, None), None  # ready: can generate now; in_sandbox: (chunk, future)
        while ready or in_sandbox:
            submitted = None
            if ready:
                jobs = ready.add_replies(generate(ready))
                submitted = (ready, pool.submit(run, jobs))
            ready = None
            if in_sandbox:
                chunk, future = in_sandbox
                start = time.perf_counter()
                chunk.add_results(future.result())
                stats.sandbox_wait_s += time.perf_counter() - start
                if chunk.done:
                    yield chunk
                    ready = next(chunks, None)
                else:
                    ready = chunk
            elif submitted:  # the first turn of the first chunk: start the second chunk meanwhile
                ready = next(chunks, None)
            in_sandbox = submitted


# ---------------------------------------------------------------- a GGUF model, converted once

# Reading the embedded model's GGUF file means dequantizing every tensor: 26 s on 2 idle AVX2 cores
# (up to 60 s on a busy machine), in every stage that loads the model. The float32 weights it yields
# are saved once as a transformers folder here and read from it afterwards (0.4-0.5 s): the same
# tensors and tokenizer.
CONVERTED = os.environ.get("COBALT_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "cobalt")


def converted_folder(gguf_path: str) -> str:
    """The folder that holds `gguf_path` converted (named by the file's name, size and modification time)."""
    stat = os.stat(gguf_path)
    return os.path.join(CONVERTED, f"{os.path.basename(gguf_path)}-{stat.st_size}-{stat.st_mtime_ns}")


def keep_converted(model, tokenizer, gguf_path: str) -> None:
    """Save `model` (just read from `gguf_path` in float32) and `tokenizer` (as read, untouched) as
    converted_folder(gguf_path), written whole under another name and then renamed, so a reader
    never sees half of it; a failure (no room, another process first) only costs the speed-up."""
    from checkpoints import drop_gguf_marker  # the marker that makes save_pretrained refuse a GGUF model
    folder = converted_folder(gguf_path)
    if os.path.isdir(folder) or model.dtype != torch.float32:
        return
    try:
        os.makedirs(CONVERTED, exist_ok=True)
        partial = tempfile.mkdtemp(dir=CONVERTED, prefix=".partial-")
    except OSError:
        return
    try:
        drop_gguf_marker(model)
        model.save_pretrained(partial)
        tokenizer.save_pretrained(partial)
        os.rename(partial, folder)
    except OSError:
        pass
    finally:
        shutil.rmtree(partial, ignore_errors=True)


# ---------------------------------------------------------------- linear layers with packed weights

# A decoding step multiplies a few dozen rows by every weight matrix of the model. On a CPU in
# float32, F.linear (nn.Linear's forward) hands that to a general matrix product, which reads the
# weight in its stored layout each time; oneDNN can lay a weight out once for a given number of
# rows and multiply by that copy faster. For the embedded model on 2 AVX2 cores, a decoding step
# of 25 rows took 1.17-1.29x less time (benchmarks/generation.py measures the whole effect). Each
# oneDNN call also costs about 50 us more, so small weights stay with F.linear: on the same cores a
# 576 x 576 weight multiplied 1.13-1.35x faster packed (8 to 64 rows), a 300 x 128 one 0.52-1.02x
# and a 128 x 128 one 0.29-0.42x (the toy world's models are that small).
PACK_MIN_ELEMENTS = 1 << 18


def packing_applies(model) -> bool:
    """Where packed_linears changes anything: a float32 model on the CPU, oneDNN present, no autocast
    (under bfloat16 autocast F.linear computes in bfloat16, which a float32 copy would bypass)."""
    return (model.device.type == "cpu" and model.dtype == torch.float32 and torch.backends.mkldnn.is_available()
            and hasattr(torch.ops.mkldnn, "_reorder_linear_weight") and not torch.is_autocast_enabled("cpu"))


@contextlib.contextmanager
def packed_linears(model, rows: int, enabled: bool = True):
    """Within this block each nn.Linear of `model` with at least PACK_MIN_ELEMENTS weights computes
    F.linear(x, weight, bias) with a copy of its weight laid out by oneDNN for inputs of about
    `rows` rows (any number works). The
    products equal F.linear's up to float rounding (the two sum in different orders), and
    tests/test_speedups.py shows the same greedy tokens and sampled log-probs. The copies are
    made on entry (0.2-0.3 s for the embedded model) and dropped on exit, so the weights may
    change between blocks (a trainer's steps) but not within one. Nothing changes where
    packing_applies(model) is False or enabled is False."""
    if not (enabled and packing_applies(model)):
        yield
        return
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear) and m.weight.numel() >= PACK_MIN_ELEMENTS]
    try:
        for linear in linears:
            packed = torch.ops.mkldnn._reorder_linear_weight(linear.weight.detach(), max(1, rows))

            def forward(x, packed=packed, bias=linear.bias, out_features=linear.out_features):
                y = torch.ops.mkldnn._linear_pointwise(x.reshape(-1, x.shape[-1]), packed, bias, "none", [], "")
                return y.view(*x.shape[:-1], out_features)

            linear.forward = forward  # an instance attribute: nn.Module.__call__ finds it before the class's
        yield
    finally:
        for linear in linears:
            linear.__dict__.pop("forward", None)
