"""Drop-in Keras 3 layers for GAN training (catalogue Y1-Y14).

Written with `keras` and `keras.ops` only, so they run on the TensorFlow and JAX
backends, in Sequential, Functional and subclassed models, under `jit_compile`, under a
`mixed_float16` policy (statistics in float32) and under `tf.distribute`. Every layer is
registered for `.keras` saving under the package name "keras_gans".

Instance normalisation is not re-implemented: it is
`keras.layers.GroupNormalization(groups=-1)` (one group per channel), which normalises
each channel of each example over its spatial positions
(tests/layers/test_instance_normalization.py checks it against NumPy).
"""

from .conditional_batch_normalization import ConditionalBatchNormalization
from .equalized_conv2d import EqualizedConv2D
from .equalized_dense import EqualizedDense
from .gated_conv2d import GatedConv2D
from .gumbel_softmax import GumbelSoftmax
from .maxout import Maxout
from .minibatch_discrimination import MinibatchDiscrimination
from .minibatch_stddev import MinibatchStdDev
from .multi_scale_discriminator import MultiScaleDiscriminator
from .noise_injection import NoiseInjection
from .persistent_dropout import PersistentDropout
from .pixel_normalization import PixelNormalization
from .self_attention_2d import SelfAttention2D
from .spectral_normalization import SpectralNormalization
from .sub_pixel_upsampling import SubPixelUpsampling
from .switchable_normalization import SwitchableNormalization
from .upsample_conv2d import UpsampleConv2D
from .virtual_batch_norm_generator import VirtualBatchNormGenerator
from .virtual_batch_normalization import VirtualBatchNormalization

__all__ = [
    "ConditionalBatchNormalization",
    "EqualizedConv2D",
    "EqualizedDense",
    "GatedConv2D",
    "GumbelSoftmax",
    "Maxout",
    "MinibatchDiscrimination",
    "MinibatchStdDev",
    "MultiScaleDiscriminator",
    "NoiseInjection",
    "PersistentDropout",
    "PixelNormalization",
    "SelfAttention2D",
    "SpectralNormalization",
    "SubPixelUpsampling",
    "SwitchableNormalization",
    "UpsampleConv2D",
    "VirtualBatchNormGenerator",
    "VirtualBatchNormalization",
]
