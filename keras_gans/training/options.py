"""The registry of `GAN.compile` options: one step component class per technique.

Each class declares its `compile` arguments with their defaults
(`StepComponent.arguments`); `GAN.compile(**options)` turns the arguments into
components here, and its compile config is these arguments' values. Adding a
technique to the GAN step is one component file and one line below.
"""

import dataclasses

from keras_gans.penalties import Penalty
from keras_gans.tricks.consistency_regularization import ConsistencyRegularization
from keras_gans.tricks.discriminator_steps import DiscriminatorSteps
from keras_gans.tricks.feature_matching import FeatureMatching
from keras_gans.tricks.generator_ema import GeneratorEMA
from keras_gans.tricks.historical_averaging import HistoricalAveraging
from keras_gans.tricks.instance_noise import InstanceNoise
from keras_gans.tricks.label_smoothing import LabelSmoothing
from keras_gans.tricks.packing import Packing
from keras_gans.tricks.single_loss import SingleLoss
from keras_gans.tricks.unrolled import Unrolled

__all__ = [
    "COMPONENTS",
    "argument_values",
    "arguments",
    "components_from",
    "preset_options",
]

COMPONENTS = (
    Penalty,  # P1-P7: penalties=[...]
    DiscriminatorSteps,  # T12
    LabelSmoothing,  # T4
    InstanceNoise,  # T9
    FeatureMatching,  # T1
    HistoricalAveraging,  # T3
    GeneratorEMA,  # T13
    Unrolled,  # T15
    Packing,  # T16
    SingleLoss,  # T14
    ConsistencyRegularization,  # P8
)


def arguments():
    """Every option argument of `GAN.compile` with its default."""
    return {
        name: default
        for component in COMPONENTS
        for name, default in component.arguments.items()
    }


def components_from(options):
    """The enabled components for `options` (compile arguments by name).

    Raises a ValueError naming an unknown argument and listing the valid ones.
    """
    known = arguments()
    unknown = [name for name in options if name not in known]
    if unknown:
        raise ValueError(
            f"Unknown `compile` option {unknown[0]!r}. The options are: "
            f"{', '.join(known)}."
        )
    components = []
    for component_class in COMPONENTS:
        given = {
            name: options[name] for name in component_class.arguments if name in options
        }
        built = component_class.from_arguments(**given)
        if isinstance(built, list):
            components.extend(built)
        elif built is not None:
            components.append(built)
    return components


def argument_values(components):
    """`{argument: value}` for every option of `COMPONENTS`, from the enabled
    `components` (defaults for the options that are off)."""
    values = {}
    for component_class in COMPONENTS:
        own = [c for c in components if _belongs_to(c, component_class)]
        values.update(component_class.argument_values(own))
    return values


def _belongs_to(component, component_class):
    """Whether `component` is the option of `component_class` (the nearest
    registered class in its hierarchy, so a subclass of `Penalty` is a penalty)."""
    for base in type(component).__mro__:
        if base in COMPONENTS:
            return base is component_class
    return False


def preset_options(preset, total_steps=None):
    """The `GAN.compile` options a `keras_gans.presets.Preset` sets: every step
    component argument that is also a preset field, by the same name.

    Instance noise (T9) anneals over the run, so with `total_steps` its option is an
    `InstanceNoise` decaying over those steps; without it (a check before the run
    is sized) it is the preset's initial stddev.
    """
    fields = {field.name for field in dataclasses.fields(preset)}
    options = {name: getattr(preset, name) for name in arguments() if name in fields}
    options["penalties"] = list(options.get("penalties", ()))
    if total_steps is not None and options.get("instance_noise") is not None:
        options["instance_noise"] = InstanceNoise(
            initial_stddev=options["instance_noise"], decay_steps=total_steps
        )
    return options
