"""Notebook 07 · Model summary."""

from __future__ import annotations


def largest_layer(model) -> tuple[str, int]:
    """Exercise 1 (recall). The layer holding the most parameters, and how many: in the article's twin,
    ``conv2`` (128 → 128 channels, 2×2: 65,664)."""
    name, count = max(((layer.name, layer.count_params()) for layer in model.layers), key=lambda item: item[1])
    return name, int(count)


def forward_flops(twin) -> int:
    """Exercise 2 (apply). Forward FLOPs per image (a multiply-add = 2): Conv2D ``2·H·W·k²·in·out`` at its
    output size, Dense ``2·in·out``. About 21.3 MFLOP for the article's twin; most of it in ``conv2``."""
    total = 0
    for layer in twin.layers:
        kind = layer.__class__.__name__
        if kind == "Conv2D":
            _, h, w, out = layer.output.shape
            kh, kw = layer.kernel_size
            total += 2 * h * w * kh * kw * layer.input.shape[-1] * out
        elif kind == "Dense":
            total += 2 * layer.input.shape[-1] * layer.units
    return int(total)
