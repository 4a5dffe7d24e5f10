"""The article's Siamese network (step 6) and its training setup (step 8)."""

from __future__ import annotations

import helpers._tensorflow  # noqa: F401  (first: TensorFlow starts quietly)

import keras
from keras import layers

from helpers._checks import check_int, check_number, checked_by
from helpers.losses import ContrastiveLoss, accuracy, contrastive_loss, euclidean_distance

INPUT_SHAPE = (28, 28, 1)


def siamese_twin(input_shape: tuple[int, int, int] = INPUT_SHAPE, embedding_dim: int = 128) -> keras.Model:
    """The article's twin CNN: image (H, W, 1) → embedding (``embedding_dim``,).

    Three blocks of Conv2D (128, 128, 64 filters, 2×2 kernels, ReLU) → 2×2 max-pool → dropout 0.4, then
    global average pooling and a linear Dense layer. 107,456 parameters for 28×28×1 inputs and 128-d
    embeddings. Both branches of the Siamese network share this one model, hence its weights.
    """
    inputs = keras.Input(shape=input_shape, name="image")
    x = inputs
    for i, filters in enumerate((128, 128, 64), start=1):
        x = layers.Conv2D(filters, (2, 2), activation="relu", name=f"conv{i}")(x)
        x = layers.MaxPooling2D(pool_size=(2, 2), name=f"pool{i}")(x)
        x = layers.Dropout(0.4, name=f"dropout{i}")(x)
    x = layers.GlobalAveragePooling2D(name="global_avg_pool")(x)
    outputs = layers.Dense(embedding_dim, name="embedding")(x)
    return keras.Model(inputs, outputs, name="siamese_twin")


@keras.saving.register_keras_serializable(package="helpers")
class EuclideanDistance(layers.Layer):
    """Layer form of :func:`helpers.losses.euclidean_distance`: ``[a, b]`` (B, D) each → (B, 1).

    A named layer (instead of the article's ``Lambda``) so that a saved ``.keras`` model loads again
    without ``safe_mode=False``.
    """

    def call(self, inputs):
        a, b = inputs
        return euclidean_distance((a, b))

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], 1)


def siamese_network(twin: keras.Model | None = None, input_shape: tuple[int, int, int] = INPUT_SHAPE) -> keras.Model:
    """Two image inputs → the shared ``twin`` embeds both → their Euclidean distance, shape (B, 1)."""
    twin = siamese_twin(input_shape) if twin is None else twin
    left = keras.Input(shape=input_shape, name="left")
    right = keras.Input(shape=input_shape, name="right")
    distance = EuclideanDistance(name="distance")([twin(left), twin(right)])
    return keras.Model([left, right], distance, name="siamese_network")


def compile_siamese(model: keras.Model, learning_rate: float = 1e-3, margin: float = 1.0) -> keras.Model:
    """Compile as notebook 08 does: Adam (the course's choice: the article shows no ``compile`` call), the
    article's contrastive loss (margin 1) and its accuracy at d < 0.5.

    ``margin`` changes only the loss's ``m`` (the margin sweep of ``scripts/margin_sweep.py``); the accuracy
    metric stays the article's d < 0.5 whatever the margin. With the default the loss is
    :func:`helpers.losses.contrastive_loss` itself, exactly as before; another margin wraps that same
    function in a :class:`helpers.losses.ContrastiveLoss`, which keeps the margin in a saved model's config.
    """
    if not learning_rate > 0:
        raise ValueError(f"learning_rate: expected a positive number, got {learning_rate!r}")
    margin = check_number(margin, "margin", positive=True)
    if margin == 1.0:
        loss = contrastive_loss
    else:
        loss = ContrastiveLoss(margin=margin)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss=loss,
        metrics=[accuracy],
    )
    return model


def embedding_model(siamese: keras.Model) -> keras.Model:
    """The twin inside a trained Siamese network (the layer that maps one image to its embedding)."""
    for layer in siamese.layers:
        if isinstance(layer, keras.Model):
            return layer
    raise ValueError("siamese: no nested twin model found; expected a model built by siamese_network()")


def _several_replicas() -> bool:
    """Whether this runs inside the scope of a ``tf.distribute`` strategy of more than one replica."""
    import tensorflow as tf

    return tf.distribute.get_strategy().num_replicas_in_sync > 1


def _check_twin_options(input_shape, width, embedding_dim, kernel_size, batch_norm, synchronized) -> dict:
    width, kernel_size = check_int(width, "width", 1), check_int(kernel_size, "kernel_size", 1)
    if not isinstance(batch_norm, bool):
        raise TypeError(f"batch_norm: expected True or False, got {batch_norm!r}")
    if synchronized is None:
        synchronized = _several_replicas()
    elif not isinstance(synchronized, bool):
        raise TypeError(f"synchronized: expected True, False or None, got {synchronized!r}")
    return {"width": width, "kernel_size": kernel_size, "synchronized": synchronized}


@checked_by(_check_twin_options)
def improved_twin(
    input_shape: tuple[int, int, int] = INPUT_SHAPE, width: int = 32, embedding_dim: int = 128, *,
    kernel_size: int = 3, batch_norm: bool = True, synchronized: bool | None = None,
) -> keras.Model:
    """A twin of our design (notebook 12): 3×3 convolutions with batch normalisation, no dropout.

    Two blocks of two 3×3 Conv2D (``width``, then ``2·width`` filters) → BatchNorm → ReLU, each block
    ending in a 2×2 max-pool, then one 3×3 Conv2D with ``4·width`` filters, global average pooling and a
    linear Dense embedding. Same input and output as :func:`siamese_twin`, so :func:`siamese_network`
    takes either. 156,320 parameters with the defaults. ``kernel_size=2`` (the article's) and
    ``batch_norm=False`` (convolutions with a bias instead) undo one design choice each, for the ablation
    that notebook 12 shows (``make ablation``). ``synchronized``: batch statistics over the global batch
    when training is split across replicas (notebook 15); by default on exactly when built inside the scope
    of a strategy with several replicas.
    """

    def conv_bn_relu(x, filters, k):
        x = layers.Conv2D(filters, kernel_size, padding="same", use_bias=not batch_norm, name=f"conv{k}")(x)
        if batch_norm:
            x = layers.BatchNormalization(synchronized=synchronized, name=f"bn{k}")(x)
        return layers.ReLU(name=f"relu{k}")(x)

    inputs = keras.Input(shape=input_shape, name="image")
    x = conv_bn_relu(inputs, width, 1)  # 28×28
    x = conv_bn_relu(x, width, 2)
    x = layers.MaxPooling2D(pool_size=(2, 2), name="pool2")(x)  # → 14×14
    x = conv_bn_relu(x, 2 * width, 3)
    x = conv_bn_relu(x, 2 * width, 4)
    x = layers.MaxPooling2D(pool_size=(2, 2), name="pool4")(x)  # → 7×7
    x = conv_bn_relu(x, 4 * width, 5)
    x = layers.GlobalAveragePooling2D(name="global_avg_pool")(x)
    outputs = layers.Dense(embedding_dim, name="embedding")(x)
    return keras.Model(inputs, outputs, name="improved_twin")


def warmup_cosine(steps: int, peak_learning_rate: float) -> keras.optimizers.schedules.LearningRateSchedule:
    """Linear warm-up from 0 to ``peak_learning_rate`` over the first 10 % of ``steps``, then a cosine
    decay to 1 % of the peak at ``steps``."""
    steps = check_int(steps, "steps", 1)
    peak_learning_rate = check_number(peak_learning_rate, "peak_learning_rate", positive=True)
    warmup = max(1, steps // 10)
    return keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=max(1, steps - warmup), warmup_target=peak_learning_rate, warmup_steps=warmup, alpha=0.01
    )


def feature_extractor(twin: keras.Model, layer: str = "global_avg_pool", name: str | None = None) -> keras.Model:
    """The part of ``twin`` up to ``layer``: image → the features before the final Dense embedding, the
    representation that linear probes read (notebook 13). Named ``name`` (default ``<twin>_features``)."""
    names = [lay.name for lay in twin.layers]
    if layer not in names:
        raise ValueError(f"layer: {layer!r} is not in {twin.name} (layers: {names})")
    return keras.Model(twin.input, twin.get_layer(layer).output, name=name or f"{twin.name}_features")
