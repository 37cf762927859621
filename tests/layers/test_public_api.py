"""Every catalogue layer is exported by `layers` and registered for `.keras` saving."""

import keras

from keras_gans import layers

CATALOGUE = {
    "Y1": ["MinibatchDiscrimination"],
    "Y2": ["MinibatchStdDev"],
    "Y3": ["VirtualBatchNormalization", "VirtualBatchNormGenerator"],
    "Y4": ["SpectralNormalization"],
    "Y5": ["PixelNormalization"],
    "Y6": ["SelfAttention2D"],
    "Y7": ["ConditionalBatchNormalization"],
    "Y8": ["SubPixelUpsampling", "UpsampleConv2D"],
    "Y9": ["GatedConv2D"],
    "Y10": ["SwitchableNormalization"],
    "Y11": ["EqualizedDense", "EqualizedConv2D"],
    "Y12": ["NoiseInjection"],
    "Y13": ["GumbelSoftmax"],
    "Y14": ["MultiScaleDiscriminator"],
    # T10 (dropout kept on at inference), beside Y12's noise.
    "T10": ["PersistentDropout"],
    # Maxout units (Goodfellow et al. 2013), the hidden layers of PacGAN's 2-D D.
    "Maxout": ["Maxout"],
}


def test_every_catalogue_layer_is_exported_and_registered():
    exported = set(layers.__all__)
    for names in CATALOGUE.values():
        for name in names:
            assert name in exported, name
            cls = getattr(layers, name)
            assert keras.saving.get_registered_name(cls) == f"keras_gans>{name}"
            assert keras.saving.get_registered_object(f"keras_gans>{name}") is cls
    assert exported == {name for names in CATALOGUE.values() for name in names}


def test_layers_import_no_tensorflow():
    # The package must stay backend-agnostic: no module in it imports tensorflow.
    import pathlib

    for path in pathlib.Path(layers.__file__).parent.glob("*.py"):
        source = path.read_text()
        assert "import tensorflow" not in source and "from tensorflow" not in source, (
            path.name
        )
