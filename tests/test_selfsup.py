import numpy as np
import pytest
import tensorflow as tf

from helpers.selfsup import (
    SimCLR,
    augmenter_for,
    clothes_augmenter,
    digit_augmenter,
    encoder,
    nt_xent_loss,
    projection_head,
    simclr_loss,
)


def numpy_nt_xent(z1, z2, temperature):
    """SimCLR's loss written out view by view, independently of helpers.selfsup."""
    z = np.concatenate([z1, z2]).astype(np.float64)
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    n = len(z1)
    total = 0.0
    for i in range(2 * n):
        partner = (i + n) % (2 * n)
        logits = np.array([z[i] @ z[k] / temperature for k in range(2 * n) if k != i])
        others = [k for k in range(2 * n) if k != i]
        positive = logits[others.index(partner)]
        total += -positive + np.log(np.sum(np.exp(logits)))
    return total / (2 * n)


def loss(z1, z2, temperature=0.2):
    return float(nt_xent_loss(np.asarray(z1, np.float32), np.asarray(z2, np.float32), temperature))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("temperature", [0.1, 0.5, 1.0])
def test_nt_xent_matches_an_independent_numpy_implementation(seed, temperature):
    rng = np.random.default_rng(seed)
    z1, z2 = rng.normal(size=(6, 5)), rng.normal(size=(6, 5))
    assert loss(z1, z2, temperature) == pytest.approx(numpy_nt_xent(z1, z2, temperature), rel=1e-4)


def test_nt_xent_hand_computed_and_scale_invariant():
    # two images, views identical: each view sees its partner at cosine 1 and two others at cosine 0
    eye = np.eye(2)
    assert loss(eye, eye, 1.0) == pytest.approx(np.log(1 + 2 / np.e), rel=1e-5)
    assert loss(eye, 7 * eye, 1.0) == pytest.approx(loss(eye, eye, 1.0), rel=1e-5)  # cosine: length is ignored


def test_nt_xent_is_symmetric_in_the_two_views():
    rng = np.random.default_rng(0)
    z1, z2 = rng.normal(size=(8, 4)), rng.normal(size=(8, 4))
    assert loss(z1, z2) == pytest.approx(loss(z2, z1), rel=1e-5)


def test_nt_xent_temperature_sharpens():
    rng = np.random.default_rng(1)
    z1 = rng.normal(size=(8, 16))
    aligned = z1 + 0.01 * rng.normal(size=z1.shape)  # views agree: a lower temperature is more confident
    assert loss(z1, aligned, 0.05) < loss(z1, aligned, 0.5) < loss(z1, aligned, 5.0)
    # at a high temperature every candidate looks alike: the loss tends to log(2B − 1)
    assert loss(z1, aligned, 1e4) == pytest.approx(np.log(15), rel=1e-3)
    with pytest.raises(ValueError, match="temperature"):
        loss(z1, aligned, 0.0)


def test_nt_xent_gradients_are_finite_even_for_zero_vectors():
    z1 = tf.Variable(np.zeros((4, 3), np.float32))
    z2 = tf.Variable(np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32))
    with tf.GradientTape() as tape:
        value = nt_xent_loss(z1, z2, 0.1)
    g1, g2 = tape.gradient(value, [z1, z2])
    assert np.isfinite(float(value)) and np.isfinite(g1.numpy()).all() and np.isfinite(g2.numpy()).all()


def test_augmenter_changes_images_only_in_training_and_keeps_shape_and_range():
    images = np.zeros((16, 28, 28, 1), np.float32)
    images[:, 8:20, 12:16] = 1.0  # a bar, like a 1
    aug = digit_augmenter(seed=0)
    np.testing.assert_array_equal(np.asarray(aug(images, training=False)), images)
    a, b = np.asarray(aug(images, training=True)), np.asarray(aug(images, training=True))
    assert a.shape == images.shape and not np.allclose(a, b)
    assert not np.allclose(a[0], a[1]), "each image gets its own random transform"
    noiseless = np.asarray(digit_augmenter(seed=0, noise=0.0)(images, training=True))
    assert noiseless.min() >= -1e-6 and noiseless.max() <= 1 + 1e-6
    assert abs(noiseless.sum(axis=(1, 2, 3)).mean() - images[0].sum()) < 0.35 * images[0].sum()  # ink mostly kept
    with pytest.raises(ValueError, match="rotation_degrees"):
        digit_augmenter(rotation_degrees=180)


def mirrored_share(augmenter, n: int = 64) -> float:
    """Share of views of an asymmetric image (ink only in the left half) that have more ink on the right."""
    images = np.zeros((n, 28, 28, 1), np.float32)
    images[:, 6:22, 4:10] = 1.0
    views = np.asarray(augmenter(images, training=True))
    return float(np.mean(views[:, :, 14:].sum(axis=(1, 2, 3)) > views[:, :, :14].sum(axis=(1, 2, 3))))


def test_clothes_are_mirrored_and_digits_never_are():
    """A mirrored shirt is a shirt, a mirrored 2 is no digit: about half the clothes views are mirror images,
    none of the digit views."""
    assert 0.3 < mirrored_share(clothes_augmenter(seed=0)) < 0.7
    assert mirrored_share(digit_augmenter(seed=0, noise=0.0)) == 0.0


def test_clothes_augmenter_crops_keeps_range_and_acts_only_in_training():
    images = np.zeros((32, 28, 28, 1), np.float32)
    images[:, 4:24, 4:24] = 0.6  # a garment filling most of the frame
    aug = clothes_augmenter(seed=0, brightness=0.0, contrast=0.0)
    np.testing.assert_array_equal(np.asarray(aug(images, training=False)), images)
    views = np.asarray(aug(images, training=True))
    assert views.shape == images.shape and views.min() >= -1e-6 and views.max() <= 0.6 + 1e-5
    covered = (views > 0.3).mean(axis=(1, 2, 3))
    assert covered.max() > (images > 0.3).mean() + 0.05  # zoomed in: the garment fills more of some views
    lit = np.asarray(clothes_augmenter(seed=0)(images, training=True))
    assert lit.min() >= -1e-6 and lit.max() <= 1 + 1e-6  # brightness and contrast stay in [0, 1]
    with pytest.raises(ValueError, match="crop"):
        clothes_augmenter(crop=1.0)


def test_each_data_set_gets_its_own_augmenter():
    assert augmenter_for("mnist", seed=1).name == "digit_augmenter"
    assert augmenter_for("fashion_mnist", seed=1).name == "clothes_augmenter"
    with pytest.raises(ValueError, match="dataset"):
        augmenter_for("cifar10")


@pytest.mark.integration
def test_simclr_trains_without_labels_and_lowers_its_loss():
    import keras

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    images = (rng.random((64, 28, 28, 1)) < 0.2).astype(np.float32)
    enc = encoder(width=4)
    model = SimCLR(enc, projection_head(enc.output_shape[-1], dim=8), digit_augmenter(seed=0))
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss=simclr_loss(0.2))
    assert model.predict(images[:8], verbose=0).shape == (16, 8)
    history = model.fit(images, np.zeros(len(images)), batch_size=32, epochs=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert enc.output_shape == (None, 16)


def test_simclr_builds_after_its_augmenter_was_used_on_a_batch_for_a_figure(tmp_path):
    """Notebook 13 shows augmented views (the augmenter learns a batch shape) before training or replay."""
    augmenter = digit_augmenter(seed=0)
    augmenter(np.zeros((6, 28, 28, 1), np.float32), training=True)
    enc = encoder(width=4)
    model = SimCLR(enc, projection_head(enc.output_shape[-1], dim=8), augmenter)
    model.build((None, 28, 28, 1))
    model.save_weights(tmp_path / "m.weights.h5")
    model.load_weights(tmp_path / "m.weights.h5")
    assert model.predict(np.zeros((3, 28, 28, 1), np.float32), verbose=0).shape == (6, 8)
