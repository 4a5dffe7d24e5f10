"""Notebook 07 · Model summary."""

from __future__ import annotations

CONV_PARAMETERS = 2 * 2 * 1 * 128 + 128 + 2 * 2 * 128 * 128 + 128 + 2 * 2 * 128 * 64 + 64  # conv1-3: 99,136


def parameters_with_embedding(embedding_dim: int) -> int:
    """Exercise 1 (recall). The twin's parameters for another embedding size, by hand: only the last Dense
    layer depends on it (``64 · dim + dim``); the convolutions keep their 99,136. 32 dimensions: 101,216."""
    return CONV_PARAMETERS + 64 * embedding_dim + embedding_dim


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


def parameters_for_image_size(size: int, head: str = "global_pool", embedding_dim: int = 128) -> int:
    """Exercise 3 (design). The twin's parameters for ``size × size`` images, ending in global average
    pooling (``head="global_pool"``, as now) or in ``Flatten`` (``head="flatten"``).

    Convolution weights depend on kernel and channels, never on the image size; global average pooling
    always hands 64 numbers to the Dense layer. So with global pooling the count is 107,456 for any size,
    and the very same weights serve 28×28 and 56×56 images. ``Flatten`` hands over ``side² · 64`` numbers
    (the last map's side: 2 for 28×28, 6 for 56×56), so the Dense layer grows with the image area
    (132,032 parameters in all for 28×28, 394,176 for 56×56), and weights trained on one size do not fit
    the other.
    """
    if head not in ("global_pool", "flatten"):
        raise ValueError(f"head: expected 'global_pool' or 'flatten', got {head!r}")
    side = size
    for _ in range(3):
        side = (side - 1) // 2  # a 2×2 "valid" convolution, then a 2×2 max-pool
    features = 64 if head == "global_pool" else side * side * 64
    return CONV_PARAMETERS + features * embedding_dim + embedding_dim
