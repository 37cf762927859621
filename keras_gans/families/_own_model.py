"""`OwnModelFamily`: a family whose builder in `keras_gans.models` makes its own
networks, loss and model from the preset, after its own field check."""

from keras_gans.families._family import Family, optimizer

__all__ = ["OwnModelFamily"]


class OwnModelFamily(Family):
    """A family selected by `preset.architecture == architecture` (unless a
    family asked earlier takes the preset), built by `builder`.

    Subclasses set `architecture`, `check_preset` and `builder` (functions of
    `keras_gans.models`, as staticmethods).
    """

    architecture = None
    check_preset = None
    builder = None

    def takes(self, preset):
        return preset.architecture == self.architecture

    def check(self, preset):
        self.check_preset(preset)

    def builder_arguments(self, preset, total_steps):
        """The builder's arguments besides the preset, samples and seed."""
        return {
            "d_optimizer": optimizer(preset.d_learning_rate, preset),
            "g_optimizer": optimizer(preset.g_learning_rate, preset),
        }

    def build(self, preset, sample_shape, seed=None, total_steps=None):
        return self.builder(
            preset,
            sample_shape,
            seed=seed,
            **self.builder_arguments(preset, total_steps),
        )
