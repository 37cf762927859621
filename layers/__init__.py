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

from layers.conditional_batch_normalization import ConditionalBatchNormalization
from layers.equalized_conv2d import EqualizedConv2D
from layers.equalized_dense import EqualizedDense
from layers.gated_conv2d import GatedConv2D
from layers.gumbel_softmax import GumbelSoftmax
from layers.minibatch_discrimination import MinibatchDiscrimination
from layers.minibatch_stddev import MinibatchStdDev
from layers.multi_scale_discriminator import MultiScaleDiscriminator
from layers.noise_injection import NoiseInjection
from layers.persistent_dropout import PersistentDropout
from layers.pixel_normalization import PixelNormalization
from layers.self_attention_2d import SelfAttention2D
from layers.spectral_normalization import SpectralNormalization
from layers.sub_pixel_upsampling import SubPixelUpsampling
from layers.switchable_normalization import SwitchableNormalization
from layers.upsample_conv2d import UpsampleConv2D
from layers.virtual_batch_norm_generator import VirtualBatchNormGenerator
from layers.virtual_batch_normalization import VirtualBatchNormalization

__all__ = [
    "ConditionalBatchNormalization",
    "EqualizedConv2D",
    "EqualizedDense",
    "GatedConv2D",
    "GumbelSoftmax",
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
