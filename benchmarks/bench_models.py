"""Models the validation scripts name by reference (`bench_models:bert_base`), random weights.

Put this folder on PYTHONPATH (the scripts do) so that fresh processes can build them too.
"""

from __future__ import annotations

from typing import Any


def bert_base() -> tuple[Any, dict[str, Any]]:
    """BERT-base from `transformers.BertConfig()` (random init), sequence length 128."""
    import torch
    from transformers import BertConfig, BertModel

    model = BertModel(BertConfig())
    ids = torch.randint(0, 30522, (1, 128))
    return model, {"input_ids": ids, "attention_mask": torch.ones_like(ids)}


def bert_base_unmasked() -> tuple[Any, dict[str, Any]]:
    """bert_base called without its attention mask: with no token padded, transformers skips
    the mask either way (the same kernels), but it checks an all-ones mask on the GPU
    (padding_mask.all()), which makes the host wait inside every call."""
    model, inputs = bert_base()
    return model, {"input_ids": inputs["input_ids"]}
