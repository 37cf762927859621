"""Extra losses for conditional image tasks (catalogue T22): L1, TV, style, perceptual.

A conditional generator (image-to-image, coarse-to-refine, super-resolution) has a
target image for every input, so beside the adversarial loss it can be trained with
losses that compare its output with the target directly. Johnson, Alahi & Fei-Fei
2016 ("Perceptual Losses for Real-Time Style Transfer and Super-Resolution",
https://arxiv.org/abs/1603.08155, sections 3.2-3.3) define the last three:

- L1 reconstruction: `mean(|y - y_hat|)`, the pixel loss of pix2pix (Isola et al.
  2017, https://arxiv.org/abs/1611.07004), which blurs less than L2;
- total variation (Johnson section 3.3, following Mahendran & Vedaldi 2015,
  https://arxiv.org/abs/1412.0035): the mean `|difference|^p` of vertically and of
  horizontally neighbouring pixels, a smoothness prior (`power=1`: anisotropic TV;
  `power=2`: the squared form, the `beta = 2` case of Mahendran & Vedaldi);
- feature reconstruction ("perceptual", section 3.2): `(1 / CHW) ||phi(y_hat) -
  phi(y)||_2^2`, the mean squared error between feature maps `phi` of a fixed
  network, summed over the chosen layers;
- style reconstruction (section 3.2): `||G(phi(y_hat)) - G(phi(y))||_F^2` summed over
  layers, with the Gram matrix `G(phi)_{c,c'} = (1 / CHW) sum_{h,w} phi_{h,w,c}
  phi_{h,w,c'}`.

Every function takes channels-last tensors, uses `keras.ops` only (any backend),
computes in float32 (also under a `mixed_float16` policy) and returns a scalar
averaged over the batch, like the adversarial losses in `keras_gans.losses`. Add
them to a generator's loss with a weight, e.g. `g_loss + 100 * l1_reconstruction_loss(
target, generated)` (pix2pix's lambda).

The features of `perceptual_loss` and `style_loss` come from any network: a
`keras.applications` model (ImageNet weights need the network), or offline on
`digits` the project's classifier, `keras_gans.metrics.load_digits_classifier()`
(its "features" layer, see the `perceptual_loss` example). Keep it frozen: it is a
fixed measuring device, not a player.
"""

import keras
from keras import ops

__all__ = [
    "gram_matrix",
    "l1_reconstruction_loss",
    "perceptual_loss",
    "style_loss",
    "total_variation_loss",
]

TOTAL_VARIATION_POWERS = (1, 2)


def _as_float(tensor):
    """`tensor` as a float32 tensor (losses are float32 under mixed precision)."""
    return ops.cast(ops.convert_to_tensor(tensor), "float32")


def _check_same_shape(target, generated, target_name, generated_name):
    if tuple(target.shape) != tuple(generated.shape):
        raise ValueError(
            f"`{target_name}` and `{generated_name}` should have the same shape. "
            f"Received: `{target_name}.shape={tuple(target.shape)}`, "
            f"`{generated_name}.shape={tuple(generated.shape)}`."
        )


def _check_feature_map(features, name):
    if len(features.shape) != 4:
        raise ValueError(
            f"`{name}` should be a channels-last feature map of rank 4, "
            f"[batch, height, width, channels]. Received: shape="
            f"{tuple(features.shape)}."
        )


def _as_list(features):
    return list(features) if isinstance(features, (list, tuple)) else [features]


def l1_reconstruction_loss(target, generated):
    """Mean absolute error between a target and a generated image: `mean(|y - y_hat|)`.

    Args:
        target: The target images `y`, any shape.
        generated: The generated images `y_hat`, the same shape.

    Returns:
        A float32 scalar, the mean over every element.

    Example:

    >>> target = np.zeros((2, 4, 4, 1), dtype="float32")
    >>> generated = np.full((2, 4, 4, 1), 0.5, dtype="float32")
    >>> round(float(l1_reconstruction_loss(target, generated)), 4)
    0.5
    """
    target, generated = _as_float(target), _as_float(generated)
    _check_same_shape(target, generated, "target", "generated")
    return ops.mean(ops.abs(target - generated))


def total_variation_loss(images, power=1):
    """Total variation of images: the mean `|difference|^power` of neighbouring pixels.

    `TV_p(x) = mean_{b,i,j,c} |x[b,i+1,j,c] - x[b,i,j,c]|^p
             + mean_{b,i,j,c} |x[b,i,j+1,c] - x[b,i,j,c]|^p`,

    the vertical mean over the `(height - 1) * width` pairs and the horizontal mean
    over the `height * (width - 1)` pairs of every image and channel. `power=1` is
    the anisotropic total variation (edges survive, noise is penalised); `power=2`
    the squared form (smoother). Johnson et al. 2016 (section 3.3) use it as a
    regulariser that favours spatial smoothness of the output.

    Args:
        images: `[batch, height, width, channels]` images, height and width >= 2.
        power: 1 (absolute differences, the default) or 2 (squared differences).

    Returns:
        A float32 scalar: 0 for a constant image; `2 * (2a)^power` for a
        checkerboard of `+a` and `-a`.

    Example:

    >>> images = np.zeros((1, 4, 4, 1), dtype="float32")
    >>> images[:, :, 2:] = 1.0  # a vertical edge: 1 of 3 horizontal pairs differs
    >>> round(float(total_variation_loss(images)), 4)
    0.3333
    """
    if isinstance(power, bool) or power not in TOTAL_VARIATION_POWERS:
        raise ValueError(f"`power` should be 1 or 2. Received: `power={power!r}`.")
    images = _as_float(images)
    _check_feature_map(images, "images")
    if images.shape[1] is not None and images.shape[1] < 2:
        raise ValueError(
            "`images` should be at least 2 pixels high and wide. "
            f"Received: shape={tuple(images.shape)}."
        )
    if images.shape[2] is not None and images.shape[2] < 2:
        raise ValueError(
            "`images` should be at least 2 pixels high and wide. "
            f"Received: shape={tuple(images.shape)}."
        )
    vertical = images[:, 1:, :, :] - images[:, :-1, :, :]  # [b, h - 1, w, c]
    horizontal = images[:, :, 1:, :] - images[:, :, :-1, :]  # [b, h, w - 1, c]
    if power == 1:
        return ops.mean(ops.abs(vertical)) + ops.mean(ops.abs(horizontal))
    return ops.mean(ops.square(vertical)) + ops.mean(ops.square(horizontal))


def gram_matrix(features):
    """Gram matrices of feature maps, normalised by `height * width * channels`.

    `G[b, c, c'] = (1 / (H W C)) sum_{h,w} phi[b, h, w, c] phi[b, h, w, c']` (Johnson
    et al. 2016, section 3.2): the channel correlations of a feature map, which keep the
    texture (style) of an image and drop its layout.

    Args:
        features: A `[batch, height, width, channels]` feature map.

    Returns:
        A float32 `[batch, channels, channels]` tensor, symmetric per example.

    Example:

    >>> features = np.ones((2, 3, 3, 4), dtype="float32")
    >>> gram = gram_matrix(features)  # every entry is 9 / (3 * 3 * 4)
    >>> tuple(gram.shape), round(float(gram[0, 0, 1]), 4)
    ((2, 4, 4), 0.25)
    """
    features = _as_float(features)
    _check_feature_map(features, "features")
    _, height, width, channels = features.shape
    if None in (height, width, channels):
        raise ValueError(
            "`features` should have known height, width and channels. "
            f"Received: shape={tuple(features.shape)}."
        )
    flat = ops.reshape(features, (-1, height * width, channels))  # [b, h * w, c]
    # [b, c, h * w] @ [b, h * w, c] -> [b, c, c]
    gram = ops.matmul(ops.transpose(flat, (0, 2, 1)), flat)
    return gram / float(height * width * channels)


def style_loss(target_features, generated_features):
    """Style reconstruction loss: squared Frobenius distances of Gram matrices.

    `L_style = sum_layers mean_b ||G(phi(y_hat))_b - G(phi(y))_b||_F^2`, with `G` from
    `gram_matrix` (normalised by `H W C`), Johnson et al. 2016, section 3.2. A target
    of batch size 1 (one style image) is broadcast against every generated image.

    Args:
        target_features: A feature map `[batch, h, w, c]` of the target images, or a
            list of them (one per layer).
        generated_features: The generated images' feature maps, the same structure
            and shapes (the target's batch may be 1).

    Returns:
        A float32 scalar: the per-layer squared Frobenius norms, averaged over the
        batch and summed over the layers.

    Example:

    >>> target = np.ones((1, 2, 2, 3), dtype="float32")  # Gram entries 4 / 12
    >>> generated = np.zeros((1, 2, 2, 3), dtype="float32")
    >>> round(float(style_loss(target, generated)), 4)  # 9 entries of (1 / 3)^2
    1.0
    """
    target_list = _as_list(target_features)
    generated_list = _as_list(generated_features)
    if not generated_list or len(target_list) != len(generated_list):
        raise ValueError(
            "`target_features` and `generated_features` should hold the same "
            "non-zero number of feature maps. Received: "
            f"{len(target_list)} and {len(generated_list)}."
        )
    total = ops.convert_to_tensor(0.0, dtype="float32")
    for target, generated in zip(target_list, generated_list, strict=True):
        target_gram = gram_matrix(target)  # [b or 1, c, c]
        generated_gram = gram_matrix(generated)  # [b, c, c]
        if target_gram.shape[1:] != generated_gram.shape[1:]:
            raise ValueError(
                "Each target feature map should have the channels of the "
                f"generated one. Received: {target_gram.shape[-1]} and "
                f"{generated_gram.shape[-1]} channels."
            )
        squared_distance = ops.sum(
            ops.square(generated_gram - target_gram), axis=(1, 2)
        )  # [b]
        total = total + ops.mean(squared_distance)
    return total


def perceptual_loss(target, generated, feature_model):
    """Feature reconstruction ("perceptual") loss: feature-space mean squared error.

    `L_feat = sum_layers (1 / (C H W)) ||phi(y_hat) - phi(y)||_2^2`, averaged over the
    batch, Johnson et al. 2016, section 3.2: images that a network sees alike are
    close even when their pixels differ (a shift, a texture), so the generator is
    not pushed towards the blurry pixel mean.

    Args:
        target: The target images `y`.
        generated: The generated images `y_hat`, the same shape.
        feature_model: Any callable from images to one feature map or a list of
            them, e.g. a `keras.Model` built from a classifier's inner layers or a
            `keras.applications` model with `include_top=False` (give it inputs
            preprocessed as it expects). A Keras layer or model runs with
            `training=False`. Its features may have any rank >= 2 (`[batch, d]`
            vectors or `[batch, h, w, c]` maps). Gradients flow into `generated`
            (and into the model's weights: freeze it, or leave its variables out of
            the optimizer).

    Returns:
        A float32 scalar: the mean squared feature difference, summed over the
        feature maps. With the identity as `feature_model` it is the pixel MSE.

    Example:

    >>> from keras_gans.metrics import build_digits_classifier
    >>> classifier = build_digits_classifier(seed=0)
    >>> features = keras.Model(
    ...     classifier.inputs, classifier.get_layer("features").output
    ... )
    >>> images = np.zeros((2, 8, 8, 1), dtype="float32")
    >>> float(perceptual_loss(images, images, features))
    0.0
    """
    if not callable(feature_model):
        raise ValueError(
            "`feature_model` should be a callable from images to features (a Keras "
            f"model or a function). Received: `feature_model={feature_model!r}`."
        )
    target, generated = _as_float(target), _as_float(generated)
    _check_same_shape(target, generated, "target", "generated")
    if isinstance(feature_model, keras.layers.Layer):
        target_features = feature_model(target, training=False)
        generated_features = feature_model(generated, training=False)
    else:
        target_features = feature_model(target)
        generated_features = feature_model(generated)
    target_list = _as_list(target_features)
    generated_list = _as_list(generated_features)
    total = ops.convert_to_tensor(0.0, dtype="float32")
    for target_map, generated_map in zip(target_list, generated_list, strict=True):
        total = total + ops.mean(
            ops.square(_as_float(generated_map) - _as_float(target_map))
        )
    return total
