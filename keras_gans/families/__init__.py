"""Model families: what each kind of GAN owns, by name.

A family is a kind of model with its own builder and its own run: the plain GAN,
the conditional GAN (with AC-GAN and pseudo-labels), the semi-supervised K+1 GAN,
SS-GAN, LAPGAN, progressive growing and coarse-to-refine inpainting. Each module
here holds one, a `keras_gans.families.Family` that states:

- which presets it takes (`takes`: the field that selects it);
- its preset check (`check`) and its builder (`build`);
- its training data (`training_data`: labels, labelled subsets, pseudo-labels,
  validation data);
- its run's sample grid, extra pictures and run-folder files (`sample_grid`,
  `picture_callbacks`, `write_artefacts`);
- how `sample` draws from its saved model (`sample`), and whether `evaluate`'s
  latent sample metrics apply (`evaluation_refusal`).

`keras_gans.presets`, `keras_gans.training_run`, `keras_gans.evaluation` and the
command line ask the registry instead of testing family names or fields.

A preset belongs to the first family in `FAMILIES` that takes it. The order
is the precedence of the fields that select a family: `labels_per_class`, then an
`architecture` that builds its own model, `self_supervised`, `num_classes` or
`pseudo_labels`, and the plain GAN last, which takes every preset. A field of
another family that the chosen one has no option for is refused by its check.
The selection reads the preset's own fields (no separate family field), so a run
folder's config.json, old or new, names its family by the same rule.

Example:

>>> from keras_gans import families, presets
>>> families.for_preset(presets.get("acgan")).name
'conditional'
>>> families.get("lapgan").takes(presets.get("lapgan"))
True
"""

import dataclasses

from keras_gans.families import (
    coarse_to_refine,
    conditional,
    gan,
    laplacian,
    progressive,
    self_supervised,
    semi_supervised,
)
from keras_gans.families._family import Family, load_generator

__all__ = [
    "FAMILIES",
    "Family",
    "for_config",
    "for_preset",
    "for_run",
    "get",
    "load_generator",
    "names",
]

# In the order they are asked (see the module docstring).
FAMILIES = (
    semi_supervised.FAMILY,
    laplacian.FAMILY,
    progressive.FAMILY,
    coarse_to_refine.FAMILY,
    self_supervised.FAMILY,
    conditional.FAMILY,
    gan.FAMILY,
)
_BY_NAME = {family.name: family for family in FAMILIES}


def names():
    """The family names, in the order families are asked."""
    return list(_BY_NAME)


def get(name):
    """The family called `name`; an unknown name lists the valid ones."""
    if name not in _BY_NAME:
        raise ValueError(
            f"Unknown model family {name!r}. Expected one of: {', '.join(_BY_NAME)}."
        )
    return _BY_NAME[name]


def for_preset(preset):
    """The family of a `keras_gans.presets.Preset`: the first that takes it."""
    for family in FAMILIES:
        if family.takes(preset):
            return family
    raise ValueError(f"No model family takes preset {preset.name!r}.")  # Not reached.


def for_config(config):
    """The family of a run folder's config.json (a dict of preset fields; missing
    fields are the `Preset` defaults, so `{}` is the plain GAN's)."""
    from keras_gans.presets import Preset  # presets imports this package.

    fields = {field.name for field in dataclasses.fields(Preset)}
    preset = Preset(
        **{
            "name": "",
            "description": "",
            **{key: value for key, value in config.items() if key in fields},
        }
    )
    return for_preset(preset)


def for_run(config=None, model=None):
    """The family of a saved run: that of `model`'s class when a family other
    than the plain GAN builds that class, else that of `config` (config.json)."""
    for family in FAMILIES[:-1]:
        if family.model_class is not None and isinstance(model, family.model_class):
            return family
    return for_config(config or {})
