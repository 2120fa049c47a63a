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
