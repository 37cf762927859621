"""Historical averaging (T3): pull each player's parameters towards their past mean.

Each player adds `λ ‖θ - (1/t) Σ_{i<t} θ[i]‖²` to its loss, where θ[i] are its
parameters after update i (θ[0] the initial ones). The term is Brown's fictitious play
in parameter space: it damps the oscillations of gradient descent around an
equilibrium, which plain simultaneous gradient steps can orbit forever. The running
mean is kept online in non-trainable variables (`m ← m + (θ - m) / t`), so it is saved
with the model, restored by `BackupAndRestore` and mirrored by `tf.distribute` like any
other weight.

The paper gives no value for λ; the default 1e-3 keeps the term well below the
adversarial loss for DCGAN-sized networks (tune it for yours).

Reference: Salimans et al. 2016, section 3.3, https://arxiv.org/abs/1606.03498
"""

import keras
from keras import ops

from keras_gans._checks import check_positive_number
from keras_gans.training.component import StepComponent

__all__ = ["HistoricalAveraging", "ParameterAverage"]

PLAYERS = ("generator", "discriminator")
# The model attribute holding each player's `ParameterAverage`, and its log name.
_AVERAGES = {
    "discriminator": ("discriminator_history", "d_history"),
    "generator": ("generator_history", "g_history"),
}


@keras.saving.register_keras_serializable(package="keras_gans")
class HistoricalAveraging(StepComponent):
    """The historical-averaging option of `GAN.compile` (T3).

    As a step component it keeps each player's `ParameterAverage` on the GAN
    (`discriminator_history`, `generator_history`), adds `λ ‖θ - mean‖²` to that
    player's loss (logged as "d_history" / "g_history") and records θ after each
    of the player's updates.

    Args:
        weight: λ.
        players: Which players get the term: both by default, as in the paper.

    Example:

    >>> HistoricalAveraging(weight=0.01, players=["discriminator"]).players
    ('discriminator',)
    """

    arguments = {"historical_averaging": None}

    def __init__(self, weight=1e-3, players=PLAYERS):
        check_positive_number(weight, "weight")
        players = (players,) if isinstance(players, str) else tuple(players)
        if not players or any(player not in PLAYERS for player in players):
            raise ValueError(
                f"`players` should be a non-empty subset of {PLAYERS}. "
                f"Received: `players={players!r}`."
            )
        self.weight = float(weight)
        self.players = players

    @classmethod
    def from_arguments(cls, historical_averaging=None):
        """A weight λ, or a `HistoricalAveraging`."""
        return cls.from_option(
            historical_averaging,
            "historical_averaging",
            lambda weight: cls(weight=weight),
        )

    def log_names(self):
        return [
            _AVERAGES[player][1]
            for player in ("discriminator", "generator")
            if player in self.players
        ]

    def build(self, model):
        for player, (attribute, _) in _AVERAGES.items():
            average = None
            if player in self.players:
                variables = getattr(model, player).trainable_variables
                average = ParameterAverage(variables, name=attribute)
            setattr(model, attribute, average)

    def loss_terms(self, context, player, real_input, fake_input, labels):
        del real_input, fake_input, labels
        if player not in self.players:
            return 0.0
        attribute, log_name = _AVERAGES[player]
        variables = getattr(context.model, player).trainable_variables
        value = getattr(context.model, attribute).penalty(variables)
        context.logs[log_name] = value
        return self.weight * value

    def after_update(self, context, player):
        if player in self.players:
            average = getattr(context.model, _AVERAGES[player][0])
            average.record(getattr(context.model, player).trainable_variables)

    def get_config(self):
        return {"weight": self.weight, "players": list(self.players)}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class ParameterAverage(keras.layers.Layer):
    """The running mean of a list of variables, as non-trainable weights.

    Tracked as a layer of the GAN, so its state saves, loads and distributes with the
    model. Not a layer to put in a network: it has no `call`.

    Args:
        variables: The variables to average; the average starts at their current
            values (snapshot θ[0]).
    """

    def __init__(self, variables, **kwargs):
        super().__init__(**kwargs)
        self.averages = [
            self.add_weight(
                shape=variable.shape,
                initializer=keras.initializers.Constant(variable.numpy()),
                trainable=False,
                aggregation="mean",
                name=f"average_{index}",
            )
            for index, variable in enumerate(variables)
        ]
        # How many snapshots the average holds.
        self.count = self.add_weight(
            shape=(),
            initializer="ones",
            trainable=False,
            aggregation="mean",
            name="count",
        )
        self.built = True

    def penalty(self, variables):
        """`Σ ‖θ - mean‖²` over `variables` (float32 scalar)."""
        return sum(
            ops.sum(ops.square(ops.cast(variable, "float32") - average))
            for variable, average in zip(variables, self.averages, strict=True)
        )

    def record(self, variables):
        """Adds the current values of `variables` to the average."""
        count = self.count + 1.0
        for variable, average in zip(variables, self.averages, strict=True):
            average.assign(average + (ops.cast(variable, "float32") - average) / count)
        self.count.assign(count)
