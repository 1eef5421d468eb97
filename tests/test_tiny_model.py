from transformers import AutoModelForCausalLM, AutoTokenizer

from tiny_model import build_tiny_model


def test_tiny_model_round_trips_through_transformers(tmp_path):
    path = build_tiny_model(str(tmp_path / "tiny"))
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path)
    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": "print(1+2)\n"}], tokenize=False, add_generation_prompt=True
    )
    assert text == "<|im_start|>user\nprint(1+2)\n<|im_end|>\n<|im_start|>assistant\n"
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert tokenizer.decode(ids) == text
    assert tokenizer.decode(ids, skip_special_tokens=True) == "user\nprint(1+2)\n\nassistant\n"
    assert tokenizer.eos_token == "<|im_end|>" and tokenizer.pad_token_id != tokenizer.eos_token_id
    assert model.config.vocab_size == len(tokenizer)
