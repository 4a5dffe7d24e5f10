"""Self-supervised contrastive learning (SimCLR): augmentations for digits and for clothes, the NT-Xent loss,
and the model that trains an encoder from unlabelled images (notebook 13).

No labels anywhere: the two augmented *views* of one image form the positive pair, and the other
``2(B − 1)`` views in the batch are its negatives.
"""

from __future__ import annotations

import helpers._tensorflow  # noqa: F401  (first: TensorFlow starts quietly)

import keras
from keras import layers, ops

from helpers._checks import checked_by
from helpers.models import INPUT_SHAPE


def _check_digit_strengths(seed, rotation_degrees, zoom, shift, noise) -> None:
    if not 0 <= rotation_degrees < 90 or not 0 <= zoom < 1 or not 0 <= shift < 0.5 or noise < 0:
        raise ValueError("augmentation strengths out of range: rotation_degrees in [0, 90), zoom in [0, 1), "
                         f"shift in [0, 0.5), noise ≥ 0; got {rotation_degrees}, {zoom}, {shift}, {noise}")


@checked_by(_check_digit_strengths)
def digit_augmenter(seed: int | None = None, *, rotation_degrees: float = 15.0, zoom: float = 0.2,
                    shift: float = 0.1, noise: float = 0.1) -> keras.Sequential:
    """Random transforms that keep a digit's identity: small rotation, zoom, shift, and pixel noise.

    Chosen for digits — not SimCLR's defaults for photographs: no horizontal flips (a flipped 2 is no 2),
    no colour jitter (grey levels only), rotation limited to ±``rotation_degrees`` (a 6 rotated by 180° is
    a 9). Active only in training mode (``augmenter(x, training=True)`` or inside ``fit``), one draw per
    image. Each layer gets its own seed derived from ``seed``.
    """
    seeds = [None] * 4 if seed is None else [seed + k for k in range(4)]
    return keras.Sequential([
        layers.RandomRotation(rotation_degrees / 360.0, fill_mode="constant", seed=seeds[0], name="rotate"),
        layers.RandomZoom((-zoom, zoom), fill_mode="constant", seed=seeds[1], name="zoom"),
        layers.RandomTranslation(shift, shift, fill_mode="constant", seed=seeds[2], name="shift"),
        layers.GaussianNoise(noise, seed=seeds[3], name="noise"),
    ], name="digit_augmenter")


def _check_clothes_strengths(seed, crop, shift, brightness, contrast) -> None:
    for name, value, limit in (("crop", crop, 1), ("shift", shift, 0.5), ("brightness", brightness, 1),
                               ("contrast", contrast, 1)):
        if not 0 <= value < limit:
            raise ValueError(f"{name}: expected a number in [0, {limit}), got {value!r}")


@checked_by(_check_clothes_strengths)
def clothes_augmenter(seed: int | None = None, *, crop: float = 0.4, shift: float = 0.1, brightness: float = 0.2,
                      contrast: float = 0.3) -> keras.Sequential:
    """Random transforms that keep a garment's identity: a mirror image, a crop, a shift, lighting.

    Chosen for Fashion-MNIST, where digits' rules do not hold: a shirt mirrored left to right is still a shirt
    (so horizontal flips, which :func:`digit_augmenter` must avoid), and a part of a shoe still says "shoe"
    (so crops — zooming *in* by up to ``crop`` of the height and width; SimCLR found random crops combined
    with colour changes the most useful pair of augmentations), while the grey levels of clothes vary with
    fabric and light (brightness and contrast). No rotation:
    the garments are photographed upright. Active only in training mode, one draw per image; each layer
    gets its own seed derived from ``seed``.
    """
    seeds = [None] * 5 if seed is None else [seed + k for k in range(5)]
    return keras.Sequential([
        layers.RandomFlip("horizontal", seed=seeds[0], name="mirror"),
        layers.RandomZoom((-crop, 0.0), fill_mode="constant", seed=seeds[1], name="crop"),
        layers.RandomTranslation(shift, shift, fill_mode="constant", seed=seeds[2], name="shift"),
        layers.RandomBrightness(brightness, value_range=(0.0, 1.0), seed=seeds[3], name="brightness"),
        layers.RandomContrast(contrast, seed=seeds[4], name="contrast"),
    ], name="clothes_augmenter")


#: The augmenter of each data set (notebook 13's ``DATASET``).
AUGMENTERS = {"mnist": digit_augmenter, "fashion_mnist": clothes_augmenter}


def augmenter_for(dataset: str, seed: int | None = None) -> keras.Sequential:
    """The augmentations chosen for ``dataset`` ("mnist": :func:`digit_augmenter`, "fashion_mnist":
    :func:`clothes_augmenter`), with their default strengths.

    >>> augmenter_for("fashion_mnist").name
    'clothes_augmenter'
    """
    if dataset not in AUGMENTERS:
        raise ValueError(f"dataset: expected one of {sorted(AUGMENTERS)}, got {dataset!r}")
    return AUGMENTERS[dataset](seed)


def _check_temperature(z1, z2, temperature) -> None:
    if not temperature > 0:
        raise ValueError(f"temperature: expected a positive number, got {temperature!r}")


@checked_by(_check_temperature)
def nt_xent_loss(z1, z2, temperature: float = 0.2):
    """NT-Xent (normalised temperature-scaled cross-entropy, SimCLR's InfoNCE) of two views, scalar.

    ``z1``, ``z2``: projections (B, D) of the two views of the same B images (row i of each is a positive
    pair). Every projection is L2-normalised; for each of the 2B views the loss is the cross-entropy of
    picking its partner among the other 2B − 1 views, with cosine similarities divided by ``temperature``
    as logits. Averaged over all 2B views, so swapping ``z1`` and ``z2`` gives the same value.

    >>> round(float(nt_xent_loss(ops.array([[1.0, 0.0], [0.0, 1.0]]), ops.array([[1.0, 0.0], [0.0, 1.0]]), 1.0)), 4)
    0.5514
    """
    z = ops.concatenate([ops.cast(z1, "float32"), ops.cast(z2, "float32")], axis=0)
    z = z / ops.maximum(ops.sqrt(ops.sum(ops.square(z), axis=1, keepdims=True)), 1e-12)
    n = ops.shape(z1)[0]
    logits = ops.matmul(z, ops.transpose(z)) / temperature
    logits = logits - 1e9 * ops.eye(2 * n)  # a view is never its own candidate
    partner = ops.concatenate([ops.arange(n) + n, ops.arange(n)], axis=0)
    return ops.mean(keras.losses.sparse_categorical_crossentropy(partner, logits, from_logits=True))


def encoder(input_shape: tuple[int, int, int] = INPUT_SHAPE, width: int = 32) -> keras.Model:
    """The representation network: the improved twin of notebook 12 up to its global average pooling,
    image → (``4·width``,) features. The linear probe and k-NN of notebook 13 read these features."""
    from helpers.models import feature_extractor, improved_twin

    return feature_extractor(improved_twin(input_shape, width=width), name="encoder")


def projection_head(features: int, dim: int = 64) -> keras.Sequential:
    """SimCLR's projection head: Dense → ReLU → Dense. The loss acts on its output; the features before it
    keep more information and are what downstream tasks use."""
    return keras.Sequential([keras.Input((features,)), layers.Dense(features, activation="relu"), layers.Dense(dim)],
                            name="projection_head")


class SimCLR(keras.Model):
    """Image batch (B, 28, 28, 1) → two augmented views → shared encoder → shared head → projections
    stacked as (2B, dim): the first B rows are view 1, the last B view 2. Train with ``compile(loss=...)``
    of :func:`simclr_loss` and ``fit(images, any_targets)``: the targets are ignored — no labels."""

    def __init__(self, encoder: keras.Model, head: keras.Model, augmenter: keras.Model, **kwargs):
        super().__init__(**kwargs)
        self.encoder, self.head, self.augmenter = encoder, head, augmenter
        self.build((None, *encoder.input_shape[1:]))  # built from the start: load_weights works before any fit

    def build(self, input_shape):
        """Encoder and head are built by their own inputs; the augmenter learns its input shape here, unless
        it already ran (e.g. on a few images for a figure)."""
        if not self.augmenter.built:
            self.augmenter.build(input_shape)
        self.built = True

    def call(self, images, training=False):
        views = [self.augmenter(images, training=training) for _ in range(2)]
        projections = [self.head(self.encoder(v, training=training), training=training) for v in views]
        return ops.concatenate(projections, axis=0)


def simclr_loss(temperature: float = 0.2):
    """A Keras loss for :class:`SimCLR`'s stacked output: NT-Xent of its two halves, targets ignored."""
    def loss(y_true, y_pred):
        half = ops.shape(y_pred)[0] // 2
        return nt_xent_loss(y_pred[:half], y_pred[half:], temperature)

    loss.__name__ = "nt_xent"
    return loss
