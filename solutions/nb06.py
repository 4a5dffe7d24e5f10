"""Notebook 06 · The Siamese network."""

from __future__ import annotations


def twin_parameter_count(filters=(128, 128, 64), kernel: int = 2, channels: int = 1, embedding: int = 128) -> int:
    """Exercise 1 (recall). Parameters of the article's twin by hand: each Conv2D has
    ``kernel² · in · out`` weights + ``out`` biases; pooling, dropout and global pooling have none; the
    Dense layer has ``last · embedding + embedding``. 107,456 for the article's settings."""
    total, previous = 0, channels
    for out in filters:
        total += kernel * kernel * previous * out + out
        previous = out
    return total + previous * embedding + embedding


def feature_map_sizes(size: int = 28, kernel: int = 2, blocks: int = 3) -> list[tuple[int, int]]:
    """Exercise 2 (apply). Side length after each block's convolution ("valid": ``s − k + 1``) and 2×2
    max-pool (``floor(s / 2)``): [(27, 13), (12, 6), (5, 2)] for 28×28 inputs — the last map is only 2×2."""
    sizes = []
    for _ in range(blocks):
        conv = size - kernel + 1
        size = conv // 2
        sizes.append((conv, size))
    return sizes
