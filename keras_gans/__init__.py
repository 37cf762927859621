"""keras-gans: GAN training techniques from the literature for Keras 3 on TensorFlow.

- `keras_gans.GAN`: a generator + a discriminator + a loss, trained by `model.fit`.
- `keras_gans.losses`: the adversarial losses L1-L8, one contract, a registry by name.
- `keras_gans.penalties`: the penalties and constraints P1-P7, one signature.
- `keras_gans.tricks`: label smoothing, instance noise, feature matching, historical
  averaging, the EMA generator, PacGAN packing, the unrolled look-ahead, the single
  loss (options of `GAN.compile`).
- `keras_gans.architectures`: DCGAN and MLP builders.
- `keras_gans.metrics`: FID, KID, Inception Score, precision/recall and 2-D mode
  coverage as functions of features.
- `keras_gans.data`: `tf.data` pipelines scaled to [-1, 1] (offline built-ins, tfds,
  NumPy arrays, image folders).
- `keras_gans.image_losses`: perceptual, style (Gram), total-variation and L1 losses.
- `keras_gans.pyramid`: Laplacian pyramids (LAPGAN).
- `keras_gans.feature_extraction`: the discriminator as a feature extractor.
- `keras_gans.latent`: slerp, latent arithmetic, truncation.
- `keras_gans.evaluation`: `evaluate()`, the metrics of a trained model with their
  protocol.
- `python -m keras_gans train | sample | evaluate`: the command line.

The drop-in layers live in the sibling package `layers` (Keras 3 only, any backend).
"""

from keras_gans import (
    architectures,
    data,
    feature_extraction,
    image_losses,
    losses,
    metrics,
    penalties,
    pyramid,
    tricks,
)
from keras_gans.models import GAN, ConditionalGAN, SemiSupervisedGAN

__version__ = "0.1.0"

__all__ = [
    "GAN",
    "ConditionalGAN",
    "SemiSupervisedGAN",
    "architectures",
    "data",
    "feature_extraction",
    "image_losses",
    "losses",
    "metrics",
    "penalties",
    "pyramid",
    "tricks",
    "__version__",
]
