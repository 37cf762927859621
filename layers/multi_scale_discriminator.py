"""pix2pixHD's multi-scale discriminator: one architecture at several resolutions."""

import keras
from keras import ops

# pix2pixHD's downsampling between scales: 3x3 average pooling, stride 2, one
# pixel of zero padding on each side that is left out of the average.
POOL_SIZE = 3
POOL_STRIDE = 2
POOL_PADDING = [[0, 0], [1, 1], [1, 1], [0, 0]]


def _downsample(images):
    """Halves height and width (rounding up) with pix2pixHD's average pooling."""
    sums = ops.average_pool(
        ops.pad(images, POOL_PADDING), POOL_SIZE, POOL_STRIDE, padding="valid"
    )
    # The same pooling of ones counts the real (non-padding) pixels of each
    # window; the ratio is the average over those pixels only.
    counts = ops.average_pool(
        ops.pad(ops.ones_like(images[:1, :, :, :1]), POOL_PADDING),
        POOL_SIZE,
        POOL_STRIDE,
        padding="valid",
    )
    return sums / counts


def _downsampled_size(size):
    return None if size is None else (size + 1) // 2


@keras.saving.register_keras_serializable(package="keras_gans")
class MultiScaleDiscriminator(keras.layers.Layer):
    """Applies copies of one discriminator to the image at 1x, 1/2x, 1/4x, ... scale.

    At high resolution one discriminator must both see the global layout
    (which needs a large receptive field: a deep network or large kernels)
    and judge fine texture, and it tends to overfit or to ignore one of the
    two. pix2pixHD uses several discriminators of the same architecture with
    separate weights instead: discriminator k sees the input downsampled k
    times, so the coarsest one judges the global structure with a small
    network and the finest one the details:

        images_0 = images
        images_k = average_pool_3x3_stride_2(images_{k-1})
        outputs[k] = discriminator_k(images_k),   k = 0 .. num_scales - 1

    The pooling is pix2pixHD's: 3x3 windows with stride 2 over the input
    padded by one pixel on each side, the padding excluded from each average;
    a size n becomes ceil(n / 2). The generator loss sums the losses over the
    scales. Each discriminator must accept every scale's image size (fully
    convolutional, e.g. built with `keras.Input(shape=(None, None, channels))`
    or a `Sequential` without an input shape). Sub-discriminators keep their
    own dtype policies; their outputs are cast to this layer's compute dtype.

    The layer is saved as the configurations of its sub-discriminators, so a
    `.keras` file reloads without the builder function.

    Args:
        discriminator_builder: a function of no arguments that returns a new
            discriminator (a `keras.Model` or layer) on each call; it is called
            `num_scales` times. Give this or `discriminators`.
        discriminators: a list of distinct discriminators, one per scale
            (finest first), sharing no weights.
        num_scales: positive integer, the number of scales. Defaults to 3 with
            a builder and to `len(discriminators)` with a list.
        **kwargs: base `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: float tensor `[batch, height, width, channels]` (channels last).
        training: bool, passed on to the sub-discriminators.

    Returns:
        A list of `num_scales` outputs (the logits of each discriminator),
        finest scale first.

    Example:

    >>> import numpy as np
    >>> def build_discriminator():
    ...     return keras.Sequential([
    ...         keras.layers.Conv2D(8, 4, strides=2, padding="same"),
    ...         keras.layers.LeakyReLU(0.2),
    ...         keras.layers.Conv2D(1, 4, padding="same"),
    ...     ])
    >>> images = np.random.normal(size=(2, 32, 32, 3)).astype("float32")
    >>> logits = MultiScaleDiscriminator(build_discriminator)(images)
    >>> [tuple(scale_logits.shape) for scale_logits in logits]
    [(2, 16, 16, 1), (2, 8, 8, 1), (2, 4, 4, 1)]

    Reference:
        Wang, Liu, Zhu, Tao, Kautz and Catanzaro, "High-Resolution Image
        Synthesis and Semantic Manipulation with Conditional GANs", 2017
        (section 3.2). https://arxiv.org/abs/1711.11585
    """

    def __init__(
        self,
        discriminator_builder=None,
        discriminators=None,
        num_scales=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if num_scales is not None and (
            isinstance(num_scales, bool)
            or not isinstance(num_scales, int)
            or num_scales < 1
        ):
            raise ValueError(
                "`num_scales` should be a positive integer. "
                f"Received: `num_scales={num_scales}`"
            )
        if (discriminator_builder is None) == (discriminators is None):
            raise ValueError(
                "Give exactly one of `discriminator_builder` and `discriminators`. "
                f"Received: `discriminator_builder={discriminator_builder}`, "
                f"`discriminators={discriminators}`"
            )
        if discriminator_builder is not None:
            if isinstance(discriminator_builder, keras.layers.Layer) or not callable(
                discriminator_builder
            ):
                raise ValueError(
                    "`discriminator_builder` should be a function that returns a "
                    "new discriminator on each call (one layer instance would be "
                    "shared by all scales). "
                    f"Received: `discriminator_builder={discriminator_builder}`"
                )
            num_scales = 3 if num_scales is None else num_scales
            discriminators = [discriminator_builder() for _ in range(num_scales)]
        else:
            if not isinstance(discriminators, (list, tuple)):
                raise ValueError(
                    "`discriminators` should be a list of discriminators. "
                    f"Received: `discriminators={discriminators}`"
                )
            num_scales = len(discriminators) if num_scales is None else num_scales
            if len(discriminators) != num_scales:
                raise ValueError(
                    f"`discriminators` should hold `num_scales={num_scales}` "
                    f"discriminators. Received: {len(discriminators)}"
                )
        if not all(
            isinstance(discriminator, keras.layers.Layer)
            for discriminator in discriminators
        ):
            raise ValueError(
                "Each discriminator should be a `keras.Model` or a "
                f"`keras.layers.Layer`. Received: `discriminators={discriminators}`"
            )
        if len({id(discriminator) for discriminator in discriminators}) != len(
            discriminators
        ):
            raise ValueError(
                "The discriminators of the scales should be distinct objects "
                "(separate weights); the builder returned the same one twice. "
                f"Received: `discriminators={discriminators}`"
            )
        # The builder is used once, above: from here on the discriminators
        # describe the layer (and are what `get_config` saves).
        self.discriminator_builder = None
        self.discriminators = list(discriminators)
        self.num_scales = num_scales

    def _scale_shapes(self, input_shape):
        batch_size, height, width, channels = input_shape
        shapes = []
        for _ in range(self.num_scales):
            shapes.append((batch_size, height, width, channels))
            height, width = _downsampled_size(height), _downsampled_size(width)
        return shapes

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(
                "`MultiScaleDiscriminator` expects a 4-D input [batch, height, "
                f"width, channels] with known channels. Received: input shape "
                f"{input_shape}"
            )
        for discriminator, scale_shape in zip(
            self.discriminators, self._scale_shapes(input_shape), strict=True
        ):
            if not discriminator.built:
                discriminator.build(scale_shape)
        variable_ids = [
            id(variable)
            for discriminator in self.discriminators
            for variable in discriminator.weights
        ]
        if len(set(variable_ids)) != len(variable_ids):
            raise ValueError(
                "The discriminators of the scales share weights; each scale "
                "needs its own (build each one with new layers)."
            )

    def call(self, inputs, training=None):
        outputs = []
        images = inputs
        for scale, discriminator in enumerate(self.discriminators):
            if scale > 0:
                images = _downsample(images)
            scale_outputs = discriminator(images, training=training)
            outputs.append(
                keras.tree.map_structure(
                    lambda output: ops.cast(output, self.compute_dtype),
                    scale_outputs,
                )
            )
        return outputs

    def compute_output_shape(self, input_shape):
        return [
            discriminator.compute_output_shape(scale_shape)
            for discriminator, scale_shape in zip(
                self.discriminators, self._scale_shapes(input_shape), strict=True
            )
        ]

    def get_config(self):
        base_config = super().get_config()
        config = {
            "discriminators": [
                keras.saving.serialize_keras_object(discriminator)
                for discriminator in self.discriminators
            ],
            "num_scales": self.num_scales,
        }
        return {**base_config, **config}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["discriminators"] = [
            keras.saving.deserialize_keras_object(discriminator)
            for discriminator in config["discriminators"]
        ]
        return cls(**config)
