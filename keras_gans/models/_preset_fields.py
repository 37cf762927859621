"""The check every model-family builder makes of a `Preset`'s technique fields."""

import dataclasses

__all__ = ["reject_unsupported_fields"]


def reject_unsupported_fields(preset, field_names, model_name):
    """Raises if `preset` sets any of `field_names` away from its default.

    Args:
        preset: A `keras_gans.presets.Preset`.
        field_names: The fields the model has no option for.
        model_name: How the error names the model, e.g. "A LAPGAN".
    """
    unsupported = [
        field.name
        for field in dataclasses.fields(preset)
        if field.name in field_names and getattr(preset, field.name) != field.default
    ]
    if unsupported:
        raise ValueError(
            f"{model_name} (preset {preset.name!r}) has no option "
            f"{', '.join(f'`{name}`' for name in unsupported)}."
        )
