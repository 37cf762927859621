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
- `keras_gans.human_eval`: the human real/fake study (T8) and its report.
- `python -m keras_gans train | sample | evaluate | human-eval`: the command line.
- `keras_gans.layers`: the drop-in layers Y1-Y14 (Keras 3 only, any backend; the
  only part that imports without TensorFlow).

`import keras_gans` registers every layer, model and metric for `.keras` saving under
the package name "keras_gans", so a file saved by this library loads in a fresh process
once the package is imported.
"""

import importlib.util

from keras_gans import _layers_package, _quiet_tensorflow

_TENSORFLOW_INSTALLED = importlib.util.find_spec("tensorflow") is not None
if _TENSORFLOW_INSTALLED:
    _quiet_tensorflow.import_tensorflow()  # before Keras imports it
_layers_package.locate()

from keras_gans import layers  # noqa: E402 (located first; backend-agnostic)

__version__ = "0.1.0"

if _TENSORFLOW_INSTALLED:
    # The training side: TensorFlow (`tf.GradientTape`, `tf.distribute`, `tf.data`).
    from keras_gans import (  # noqa: E402
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
    from keras_gans.models import (  # noqa: E402
        GAN,
        ConditionalGAN,
        SemiSupervisedGAN,
    )
else:

    def __getattr__(name):
        if name not in _TENSORFLOW_PARTS:
            raise AttributeError(f"module 'keras_gans' has no attribute {name!r}")
        raise ImportError(
            f"keras_gans.{name} needs TensorFlow, which is not installed; only "
            "keras_gans.layers works without it. Install it with "
            "`pip install -r requirements.txt`."
        )


__all__ = [
    "GAN",
    "ConditionalGAN",
    "SemiSupervisedGAN",
    "architectures",
    "data",
    "feature_extraction",
    "image_losses",
    "layers",
    "losses",
    "metrics",
    "penalties",
    "pyramid",
    "tricks",
    "__version__",
]

# What needs TensorFlow (everything but the layers).
_TENSORFLOW_PARTS = frozenset(__all__) - {"layers", "__version__"}
