"""The article's Siamese network (step 6) and its training setup (step 8)."""

from __future__ import annotations

import keras
from keras import layers

from helpers.losses import accuracy, contrastive_loss, euclidean_distance

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


def compile_siamese(model: keras.Model, learning_rate: float = 1e-3) -> keras.Model:
    """Compile with the article's setup: Adam, the contrastive loss (margin 1), accuracy at d < 0.5."""
    if not learning_rate > 0:
        raise ValueError(f"learning_rate: expected a positive number, got {learning_rate!r}")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss=contrastive_loss,
        metrics=[accuracy],
    )
    return model


def embedding_model(siamese: keras.Model) -> keras.Model:
    """The twin inside a trained Siamese network (the layer that maps one image to its embedding)."""
    for layer in siamese.layers:
        if isinstance(layer, keras.Model):
            return layer
    raise ValueError("siamese: no nested twin model found; expected a model built by siamese_network()")
