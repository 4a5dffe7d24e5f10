"""Notebook 07 · Model summary."""

from __future__ import annotations


def largest_layer(model) -> tuple[str, int]:
    """Exercise 1 (recall). The layer holding the most parameters, and how many: in the article's twin,
    ``conv2`` (128 → 128 channels, 2×2: 65,664)."""
    name, count = max(((layer.name, layer.count_params()) for layer in model.layers), key=lambda item: item[1])
    return name, int(count)


def forward_flops_by_hand(size: int = 28, filters=(128, 128, 64), kernel: int = 2, embedding: int = 128) -> int:
    """Exercise 2 (apply). Forward FLOPs per image of the article's twin, by hand (a multiply-add = 2):
    a "valid" Conv2D costs ``2 · out_side² · kernel² · in · out`` and shrinks the side by ``kernel − 1``, each
    2×2 max-pool halves it, the Dense layer costs ``2 · in · out``. About 21.3 MFLOP, 89 % of them in the
    second convolution — the layer that also holds the most parameters."""
    total, channels = 0, 1
    for out in filters:
        size = size - kernel + 1
        total += 2 * size * size * kernel * kernel * channels * out
        size //= 2
        channels = out
    return total + 2 * channels * embedding
