"""The check every model family's `compile` makes of the Keras arguments it has no
use for (a GAN's losses and optimizers are its own, not `keras.Model.compile`'s)."""

__all__ = ["refuse_unused"]


def refuse_unused(model_name, takes, arguments, unused):
    """Raises a ValueError for the first of `unused` found in `arguments`.

    Args:
        model_name: The class whose `compile` was called, e.g. "GAN".
        takes: What it takes instead, e.g. "`d_optimizer`, `g_optimizer` and `loss`".
        arguments: The keyword arguments `compile` received.
        unused: The names it refuses.
    """
    for argument in unused:
        if argument in arguments:
            raise ValueError(
                f"{model_name}.compile takes {takes}; `{argument}` is not used. "
                f"Received: `{argument}={arguments[argument]!r}`."
            )
