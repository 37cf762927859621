"""The discriminator as a feature extractor, measured by a linear probe (catalogue A9).

Radford, Metz & Chintala 2015 (DCGAN, https://arxiv.org/abs/1511.06434, section 5.1)
judge the representations a GAN learns without labels by using the trained
discriminator as a fixed feature extractor: every convolutional layer's output is
max-pooled to a 4x4 spatial grid, the grids are flattened and concatenated, and a
regularised linear L2-SVM is trained on these features of a labelled set. Its test
accuracy, compared with the same classifier on raw pixels and on the features of an
untrained discriminator of the same architecture, says how much the adversarial
game taught D about the data.

- `discriminator_features(discriminator, images)`: the concatenated pooled features
  as a NumPy `[n, num_features]` array.
- `linear_probe_accuracy(train_features, train_labels, test_features, test_labels)`:
  standardisation then scikit-learn's `LinearSVC` (squared hinge loss with an L2
  penalty: the L2-SVM of the paper), its `C` chosen by cross-validation on the
  training features unless given; returns the test accuracy.

`tests/benchmarks/feature_extractor_benchmark.py` runs the protocol on `digits`.
"""

import itertools
import math

import keras
import numpy as np

from keras_gans._checks import check_integer, check_positive_integer
from keras_gans.layers import EqualizedConv2D, GatedConv2D, UpsampleConv2D
from keras_gans.metrics._features import feature_matrix

__all__ = [
    "CONVOLUTION_LAYER_TYPES",
    "LINEAR_PROBE_C_GRID",
    "discriminator_features",
    "linear_probe_accuracy",
]

# The layers whose outputs `discriminator_features` takes when no names are given,
# also inside a `keras.layers.Wrapper` (e.g. spectral normalization).
CONVOLUTION_LAYER_TYPES = (
    keras.layers.Conv1D,
    keras.layers.Conv2D,
    keras.layers.Conv3D,
    keras.layers.Conv1DTranspose,
    keras.layers.Conv2DTranspose,
    keras.layers.Conv3DTranspose,
    keras.layers.DepthwiseConv1D,
    keras.layers.DepthwiseConv2D,
    keras.layers.SeparableConv1D,
    keras.layers.SeparableConv2D,
    EqualizedConv2D,
    GatedConv2D,
    UpsampleConv2D,
)
# Values of the SVM's inverse regularisation strength C tried by cross-validation.
LINEAR_PROBE_C_GRID = (1e-3, 1e-2, 1e-1, 1.0)
LINEAR_PROBE_FOLDS = 3  # Stratified folds of the cross-validation of C.
# liblinear iterations: the dual needs about 3,000 at C=1 on the digits features
# (the default 1,000 stops short).
LINEAR_PROBE_MAX_ITERATIONS = 10_000


def _is_convolution(layer):
    if isinstance(layer, CONVOLUTION_LAYER_TYPES):
        return True
    return isinstance(layer, keras.layers.Wrapper) and isinstance(
        layer.layer, CONVOLUTION_LAYER_TYPES
    )


def _symbolic_inputs(discriminator):
    if not isinstance(discriminator, keras.Model):
        raise ValueError(
            "`discriminator` should be a Functional or Sequential `keras.Model` (for "
            "a `keras_gans.GAN`, pass `gan.discriminator`). Received: "
            f"`discriminator={discriminator!r}`."
        )
    try:
        inputs = discriminator.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs:
        raise ValueError(
            "`discriminator` should be a Functional or Sequential model built on a "
            "`keras.Input`, so that its layers' outputs can be read; a subclassed "
            f"model has none. Received the model {discriminator.name!r}."
        )
    return inputs


def _selected_layers(discriminator, layer_names):
    if layer_names is None:
        selected = [layer for layer in discriminator.layers if _is_convolution(layer)]
        if not selected:
            raise ValueError(
                f"The discriminator {discriminator.name!r} has no convolution layer "
                "at its top level, so there are no feature maps to pool. Pass "
                "`layer_names` to choose layers (e.g. the Dense layers of an MLP "
                "discriminator). Its layers: "
                f"{[layer.name for layer in discriminator.layers]}."
            )
        return selected
    if isinstance(layer_names, str) or not layer_names:
        raise ValueError(
            "`layer_names` should be a non-empty list of layer names. Received: "
            f"`layer_names={layer_names!r}`."
        )
    by_name = {layer.name: layer for layer in discriminator.layers}
    unknown = [name for name in layer_names if name not in by_name]
    if unknown:
        raise ValueError(
            f"`layer_names` names layers that {discriminator.name!r} does not have: "
            f"{unknown}. Its layers: {list(by_name)}."
        )
    return [by_name[name] for name in layer_names]


def _feature_model(discriminator, inputs, layers):
    outputs = [layer.output for layer in layers]
    for layer, output in zip(layers, outputs, strict=True):
        if len(output.shape) < 2:
            raise ValueError(
                f"The output of layer {layer.name!r} has shape {tuple(output.shape)}; "
                "expected [batch, ...features] of rank >= 2."
            )
    # One input tensor, not a list, so calls with an array match its structure. A
    # conditional D has more inputs: its chosen layers must depend on the images.
    try:
        return keras.Model(inputs[0], outputs)
    except ValueError as error:
        raise ValueError(
            f"The discriminator {discriminator.name!r} has {len(inputs)} inputs and "
            "the chosen layers depend on more than the first one (the images). "
            "Choose layers with `layer_names` that see the images only."
        ) from error


def _axis_bins(size, pool_size):
    """Adaptive pooling bins `[start, end)` of one spatial axis.

    Bin `i` of `pool_size` covers `[floor(i * size / pool_size), ceil((i + 1) *
    size / pool_size))`: equal non-overlapping windows of `size / pool_size` when it
    divides, slightly overlapping ones otherwise. An axis of `size <= pool_size` is
    kept: one bin per position.
    """
    if size <= pool_size:
        return [(index, index + 1) for index in range(size)]
    return [
        (
            math.floor(index * size / pool_size),
            math.ceil((index + 1) * size / pool_size),
        )
        for index in range(pool_size)
    ]


def _max_pool(feature_map, pool_size):
    """`[n, *spatial, c]` -> `[n, *pooled, c]` by adaptive max-pooling every spatial
    axis to `min(size, pool_size)`, then flattened to `[n, prod(pooled) * c]`."""
    spatial_sizes = feature_map.shape[1:-1]
    if not spatial_sizes:  # [n, features]: nothing to pool.
        return feature_map
    bins_per_axis = [_axis_bins(size, pool_size) for size in spatial_sizes]
    pooled = [
        feature_map[
            (slice(None), *(slice(start, end) for start, end in window), slice(None))
        ].max(axis=tuple(range(1, 1 + len(window))))  # [n, c]
        for window in itertools.product(*bins_per_axis)
    ]
    # Row-major over the pooled grid: [n, *pooled, c] flattened.
    return np.stack(pooled, axis=1).reshape(len(feature_map), -1)


def discriminator_features(
    discriminator, images, pool_size=4, layer_names=None, batch_size=256
):
    """DCGAN's D features: every conv output max-pooled to 4x4, concatenated.

    For each selected layer output `[n, h, w, c]`: adaptive max-pooling to
    `[n, pool_size, pool_size, c]` (window `h / pool_size` when it divides; bins
    `[floor(i h / p), ceil((i + 1) h / p))` otherwise), flattened channels-last;
    a spatial axis already of size <= `pool_size` is kept as it is (no padding, no
    upsampling). Outputs without spatial axes (`[n, d]`, e.g. Dense layers named in
    `layer_names`) are taken as they are; 1-D and 3-D convolutions are pooled along
    each of their spatial axes. The pieces are concatenated in layer order. D runs
    in inference mode (`training=False`: batch norm uses its moving statistics).

    By default the layers are every convolution at the discriminator's top level
    (`CONVOLUTION_LAYER_TYPES`, also wrapped, e.g. in spectral normalization): their
    raw outputs, before normalization and activation. Name other layers (e.g. the
    LeakyReLU after each convolution, or the layers inside a custom block) with
    `layer_names`. A discriminator without convolution layers raises an error rather
    than falling back silently to other layers.

    Args:
        discriminator: A Functional or Sequential `keras.Model`. With several inputs
            (a conditional D), the first must be the images and the chosen layers
            must depend on it alone.
        images: `[n, height, width, channels]` images as D expects them.
        pool_size: Positive size of the pooled grid per spatial axis (4 in the
            paper).
        layer_names: Names of the layers whose outputs to use, or `None` for every
            convolution.
        batch_size: Positive number of images per forward pass.

    Returns:
        A float32 NumPy array `[n, num_features]`.

    Example:

    >>> from keras_gans.architectures import dcgan_discriminator
    >>> discriminator = dcgan_discriminator(16, channels=1, width=8, seed=0)
    >>> images = np.zeros((3, 16, 16, 1), dtype="float32")
    >>> discriminator_features(discriminator, images).shape  # 4*4*8 + 4*4*16
    (3, 384)
    """
    pool_size = check_positive_integer(pool_size, "pool_size")
    batch_size = check_positive_integer(batch_size, "batch_size")
    inputs = _symbolic_inputs(discriminator)
    layers = _selected_layers(discriminator, layer_names)
    model = _feature_model(discriminator, inputs, layers)
    images = np.asarray(images, dtype="float32")
    expected_shape = tuple(model.inputs[0].shape[1:])
    if images.ndim != len(expected_shape) + 1 or any(
        expected not in (None, received)
        for expected, received in zip(expected_shape, images.shape[1:], strict=True)
    ):
        raise ValueError(
            f"`images` should have shape [n, {', '.join(map(str, expected_shape))}] "
            f"(the discriminator's input). Received: shape={images.shape}."
        )
    batches = []
    for start in range(0, len(images), batch_size):
        outputs = model(images[start : start + batch_size], training=False)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        batches.append(
            np.concatenate(
                [
                    _max_pool(keras.ops.convert_to_numpy(output), pool_size)
                    for output in outputs
                ],
                axis=1,
            )
        )
    if not batches:
        raise ValueError(f"`images` is empty. Received: shape={images.shape}.")
    return np.concatenate(batches, axis=0).astype("float32")


def _check_labels(labels, num_examples, name, features_name):
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) != num_examples:
        raise ValueError(
            f"`{name}` should be a 1-D array with one label per row of "
            f"`{features_name}` ({num_examples}). Received: shape={labels.shape}."
        )
    return labels


def linear_probe_accuracy(
    train_features, train_labels, test_features, test_labels, seed=0, C=None
):
    """Test accuracy of a linear L2-SVM trained on standardised features.

    The classifier: `StandardScaler` (mean and variance of the TRAIN features) then
    `sklearn.svm.LinearSVC` (one-vs-rest, squared hinge loss, L2 penalty: the
    "regularized linear L2-SVM" of Radford et al. 2015), solved in the dual (fast
    for a labelled set of a few thousand examples: about 10x faster than the
    primal on 958 digits' 1,536 DCGAN D features at C=1), `max_iter=10,000`. With
    `C=None`, C is picked from `LINEAR_PROBE_C_GRID` (1e-3, 1e-2, 0.1, 1) by
    stratified 3-fold cross-validation on the training features alone, so the test
    set never influences the classifier.

    Args:
        train_features: `[n_train, d]` features of the labelled training examples.
        train_labels: `[n_train]` class labels.
        test_features: `[n_test, d]` features of the held-out examples.
        test_labels: `[n_test]` class labels.
        seed: Integer seed of the cross-validation folds and of liblinear.
        C: A positive float, or `None` to cross-validate it.

    Returns:
        The accuracy on the test features, a float in [0, 1].

    Example:

    >>> train = np.array([[-2.0], [-1.0], [1.0], [2.0]] * 3)
    >>> labels = np.array([0, 0, 1, 1] * 3)
    >>> linear_probe_accuracy(train, labels, np.array([[-3.0], [3.0]]), [0, 1])
    1.0
    """
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    train_features = feature_matrix("train_features", train_features)
    test_features = feature_matrix("test_features", test_features)
    if train_features.shape[1] != test_features.shape[1]:
        raise ValueError(
            "`train_features` and `test_features` should have the same number of "
            f"features. Received: {train_features.shape[1]} and "
            f"{test_features.shape[1]}."
        )
    train_labels = _check_labels(
        train_labels, len(train_features), "train_labels", "train_features"
    )
    test_labels = _check_labels(
        test_labels, len(test_features), "test_labels", "test_features"
    )
    check_integer(seed, "seed", minimum=0)
    if C is not None and (
        isinstance(C, bool) or not isinstance(C, (int, float)) or not C > 0
    ):
        raise ValueError(
            f"`C` should be a positive number or None. Received: `C={C!r}`."
        )
    _, class_counts = np.unique(train_labels, return_counts=True)
    if len(class_counts) < 2:
        raise ValueError(
            "`train_labels` should hold at least 2 classes. Received: "
            f"{len(class_counts)}."
        )
    pipeline = make_pipeline(
        StandardScaler(),
        LinearSVC(
            C=1.0 if C is None else float(C),
            dual=True,
            max_iter=LINEAR_PROBE_MAX_ITERATIONS,
            random_state=int(seed),
        ),
    )
    if C is None:
        if class_counts.min() < LINEAR_PROBE_FOLDS:
            raise ValueError(
                f"Cross-validating `C` needs at least {LINEAR_PROBE_FOLDS} training "
                f"examples per class; one class has {int(class_counts.min())}. Pass "
                "`C` explicitly."
            )
        pipeline = GridSearchCV(
            pipeline,
            {"linearsvc__C": list(LINEAR_PROBE_C_GRID)},
            cv=StratifiedKFold(
                LINEAR_PROBE_FOLDS, shuffle=True, random_state=int(seed)
            ),
        )
    pipeline.fit(train_features, train_labels)
    return float(np.mean(pipeline.predict(test_features) == test_labels))
