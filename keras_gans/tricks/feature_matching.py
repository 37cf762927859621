"""Feature matching (T1): the generator matches the statistics of D's features.

Instead of maximising the discriminator's output, the generator minimises

    ‖ E_x f(x) - E_z f(G(z)) ‖²₂

where f is the activation of an intermediate discriminator layer: it must produce
data whose features have the real data's mean, a target that does not move as fast as
D's decision. The expectation is over the global batch (all replicas), and only the
generator is trained on this loss.

Reference: Salimans et al. 2016, section 3.1, https://arxiv.org/abs/1606.03498
"""

import keras
from keras import ops

from keras_gans.training import trainer
from keras_gans.training.component import StepComponent

__all__ = ["FeatureMatching", "feature_matching_loss"]


def feature_matching_loss(real_features, fake_features):
    """`‖mean(real_features) - mean(fake_features)‖²` with means over the batch
    (over all replicas under `tf.distribute`).

    Args:
        real_features, fake_features: `[batch, ...]` activations of the same layer.

    Returns:
        A float32 scalar.

    Example:

    >>> import numpy as np
    >>> real = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> fake = np.zeros((2, 2))
    >>> float(feature_matching_loss(real, fake))  # 2² + 3²
    13.0
    """
    real_features = ops.cast(real_features, "float32")
    fake_features = ops.cast(fake_features, "float32")
    real_mean, fake_mean = trainer.global_mean(
        [ops.mean(real_features, axis=0), ops.mean(fake_features, axis=0)]
    )
    return ops.sum(ops.square(real_mean - fake_mean))


@keras.saving.register_keras_serializable(package="keras_gans")
class FeatureMatching(StepComponent):
    """The feature-matching option of `GAN.compile` (T1): the generator's loss
    becomes `feature_matching_loss` on one discriminator layer.

    As a step component it builds the model `images -> f(images)` as the GAN's
    `feature_model` and supplies G's adversarial term.

    Args:
        layer_name: The discriminator layer whose output is f. `None`: the last
            hidden layer (the input of D's final layer).

    Example:

    >>> import keras
    >>> discriminator = keras.Sequential(
    ...     [keras.Input((2,)), keras.layers.Dense(8, name="hidden"),
    ...      keras.layers.Dense(1)])
    >>> features = FeatureMatching().feature_model(discriminator)
    >>> tuple(features.output.shape)
    (None, 8)
    """

    arguments = {"feature_matching": None}
    role = "generator_loss"
    excludes = {
        "unrolled_steps": (
            "Feature matching replaces the generator's adversarial loss, so there "
            "is nothing to unroll. Use one of `feature_matching` and "
            "`unrolled_steps`."
        )
    }
    unavailable_in = {
        "conditional": "it reads D's features of images without their labels",
        "rotation_losses": "its steps bypass the rotation losses",
        "growing_discriminator": (
            "the feature layer is fixed when compiling, while the layers D uses "
            "change with the growth stage"
        ),
    }

    def __init__(self, layer_name=None):
        if layer_name is not None and not isinstance(layer_name, str):
            raise ValueError(
                "`layer_name` should be a layer name (str) or None. "
                f"Received: `layer_name={layer_name!r}`."
            )
        self.layer_name = layer_name

    def feature_model(self, discriminator):
        """A model `images -> f(images)` sharing `discriminator`'s layers."""
        inputs = getattr(discriminator, "inputs", None)
        if not inputs:
            raise ValueError(
                "Feature matching reads an intermediate layer, so the discriminator "
                "must be a Functional or Sequential model. Received a "
                f"{type(discriminator).__name__} named {discriminator.name!r}."
            )
        if self.layer_name is None:
            layer_output = discriminator.layers[-1].input
        else:
            names = [layer.name for layer in discriminator.layers]
            if self.layer_name not in names:
                raise ValueError(
                    f"The discriminator has no layer named {self.layer_name!r}. "
                    f"Its layers: {', '.join(names)}."
                )
            layer_output = discriminator.get_layer(self.layer_name).output
        return keras.Model(inputs, layer_output, name="discriminator_features")

    @classmethod
    def from_arguments(cls, feature_matching=None):
        """True (D's last hidden layer), a layer name, or a `FeatureMatching`."""
        return cls.from_option(
            feature_matching,
            "feature_matching",
            lambda value: cls(None if value is True else value),
        )

    def build(self, model):
        model.feature_model = self.feature_model(model.discriminator)

    def generator_loss(self, context, real_input, fake_input, labels):
        """The feature-matching loss, and no auxiliary outputs."""
        del labels  # Unavailable for conditional models.
        features = context.model.feature_model
        return feature_matching_loss(
            features(real_input, training=True), features(fake_input, training=True)
        ), None

    def get_config(self):
        return {"layer_name": self.layer_name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
