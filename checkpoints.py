"""train_bandit.py's checkpoints: everything `--resume` needs to continue a run exactly.

    save_checkpoint(out, policy, optimizer, step, order)   OUTPUT_DIR/checkpoint, written atomically:
        the model and tokenizer (save_pretrained) and trainer_state.pt (step, optimizer, RNG states,
        the data order of every epoch)
    restore(out, optimizer) -> (step, order, metrics)      the optimizer and RNG states put back
    drop_gguf_marker(model)                                lets a model read from a GGUF file be saved
"""
import json
import os
import random
import shutil

import numpy as np
import torch

from problems import write_jsonl


def rng_state() -> dict:
    return {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None}


def drop_gguf_marker(model) -> None:
    """A model read from a GGUF file holds plain float weights (transformers dequantizes them on load)
    but keeps a "gguf quantized" marker that makes save_pretrained refuse; drop the marker."""
    quantizer = getattr(model, "hf_quantizer", None)
    if quantizer is not None and str(getattr(quantizer.quantization_config, "quant_method", "")).lower().endswith("gguf"):
        model.hf_quantizer, model.is_quantized = None, False
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config


def save_checkpoint(out: str, policy, optimizer, step: int, order: list[list[int]]) -> None:
    """Write OUTPUT_DIR/checkpoint atomically: a killed save leaves the previous checkpoint intact."""
    tmp, final, old = (os.path.join(out, n) for n in ("checkpoint.tmp", "checkpoint", "checkpoint.old"))
    shutil.rmtree(tmp, ignore_errors=True)
    policy.model.save_pretrained(tmp)
    policy.tokenizer.save_pretrained(tmp)
    torch.save({"step": step, "optimizer": optimizer.state_dict(), "order": order, "rng": rng_state()},
               os.path.join(tmp, "trainer_state.pt"))
    if os.path.exists(final):
        os.replace(final, old)
    os.replace(tmp, final)
    shutil.rmtree(old, ignore_errors=True)


def restore(out: str, optimizer) -> tuple[int, list[list[int]], list[dict]]:
    """Load OUTPUT_DIR/checkpoint/trainer_state.pt into `optimizer` and the RNGs, and cut
    OUTPUT_DIR/metrics.jsonl back to the checkpoint's step (the steps after it are done again).
    Returns (step, the data order of every epoch, the metrics records kept)."""
    state = torch.load(os.path.join(out, "checkpoint", "trainer_state.pt"), weights_only=False)
    optimizer.load_state_dict(state["optimizer"])
    random.setstate(state["rng"]["python"])
    np.random.set_state(state["rng"]["numpy"])
    torch.set_rng_state(state["rng"]["torch"])
    if state["rng"]["cuda"] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["rng"]["cuda"])
    metrics = os.path.join(out, "metrics.jsonl")
    with open(metrics, encoding="utf-8") as f:
        history = [r for r in map(json.loads, f) if r["step"] <= state["step"]]
    write_jsonl(history, metrics)
    return state["step"], state["order"], history
