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


class Twice:
    """Runs a module twice per call: the known ratio 2.00 against the module itself."""

    @staticmethod
    def wrap(module: Any) -> Any:
        import torch

        class TwiceModule(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.inner = module

            def forward(self, x: Any) -> Any:
                self.inner(x)
                return self.inner(x)

        return TwiceModule()


def tiny() -> tuple[Any, Any]:
    """Linear(64, 64) - ReLU - Linear(64, 64) on a (1, 64) input: about 15 µs a call on a CPU."""
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64))
    return model, torch.randn(1, 64)


def tiny_twice() -> tuple[Any, Any]:
    model, x = tiny()
    return Twice.wrap(model), x


def convnet() -> tuple[Any, Any]:
    """A small convolutional network on a 3x64x64 image: a few ms a call on a 2-core CPU."""
    import torch

    torch.manual_seed(0)
    layers = []
    channels = 3
    for width in (32, 64, 64):
        layers += [torch.nn.Conv2d(channels, width, 3, padding=1), torch.nn.ReLU()]
        channels = width
    model = torch.nn.Sequential(*layers, torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())
    return model, torch.randn(1, 3, 64, 64)


def convnet_twice() -> tuple[Any, Any]:
    model, x = convnet()
    return Twice.wrap(model), x


def effnet() -> tuple[Any, Any]:
    """timm EfficientNet-B0, random weights, one 3x224x224 image (`-b` sets the batch)."""
    import timm
    import torch

    torch.manual_seed(0)
    model = timm.create_model("efficientnet_b0", pretrained=False).eval()
    return model, torch.randn(1, 3, 224, 224)


def effnet_twice() -> tuple[Any, Any]:
    """effnet run twice a call: the known ratio 2.00 against effnet (same weights, same input)."""
    model, x = effnet()
    return Twice.wrap(model), x
