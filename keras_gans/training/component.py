"""Step components: what one `compile` option adds to a GAN's training step.

Every option of `GAN.compile` (a penalty, label smoothing, instance noise, feature
matching, historical averaging, the generator EMA, packing, unrolling, k
discriminator steps, the single loss) is a `StepComponent`: an object holding the
option's configuration (its `get_config` is what a saved model stores) that the step
asks, at fixed points, for what the option changes. A component implements only the
hooks it needs:

- `before_step(context)`: at the start of the step (instance noise logs its σ);
- `discriminator_input(images, model)`: what D sees of a batch (instance noise,
  packing), applied to real and generated images alike;
- `discriminator_loss(model, real_logits, fake_logits)`: D's adversarial loss, for
  the component whose `role` is "discriminator_loss" (label smoothing);
- `generator_loss(context, real_input, fake_input, labels)`: G's adversarial term,
  for the component whose `role` is "generator_loss" (feature matching, unrolling);
- `loss_terms(context, player, real_input, fake_input, labels)`: terms added to a
  player's loss (penalties, historical averaging), logging their values;
- `after_update(context, player)`: after that player's optimizer step (a weight
  constraint, the historical average);
- `after_step(context, global_batch_size)`: after the whole step (the EMA);
- `build(model)`: the state the option needs, set on the model under its own
  attribute name so that saving and `BackupAndRestore` find it.

A component reaches D only through the `StepContext` (`context.discriminate`), which
goes through the model family's conditioning, so no option can score images without
their labels. What cannot be combined is declared by the components themselves:
`role` (at most one component per role: one D loss, one G loss, one schedule),
`excludes` (another option's argument → why the pair has no meaning) and
`unavailable_in` (a model family's trait, such as "conditional" → why).
"""

import keras

__all__ = ["StepComponent", "check_combinations"]


class StepComponent:
    """The base of every step component; its hooks do nothing.

    Class attributes a component sets:
        arguments: `{compile argument: default}`; the first is the option itself.
        role: "discriminator_loss", "generator_loss", "schedule" or None.
        excludes: `{other component's first argument: reason}`.
        unavailable_in: `{model family trait: reason}`.
        batch_divisor: Each (replica's) batch must divide by the product of the
            components' divisors.
    """

    arguments = {}
    role = None
    excludes = {}
    unavailable_in = {}
    batch_divisor = 1

    @classmethod
    def from_arguments(cls, **arguments):
        """The component for `compile` arguments (those of `cls.arguments`, as
        given: numbers, names, instances or saved configs), or None when they leave
        the option off. May also return a list of components (penalties)."""
        raise NotImplementedError

    @classmethod
    def from_option(cls, value, argument, from_value):
        """`value` of the compile argument `argument` as an instance of `cls`, or
        None (off): None/False, an instance, a saved config dict, or a plain value
        that `from_value` turns into an instance."""
        if value is None or value is False:
            return None
        if isinstance(value, cls):
            return value
        if isinstance(value, dict) and "class_name" in value:
            return keras.saving.deserialize_keras_object(value)
        if from_value is not None:
            return from_value(value)
        raise ValueError(
            f"`{argument}` should be None or a {cls.__name__}. "
            f"Received: `{argument}={value!r}`."
        )

    @classmethod
    def argument_values(cls, components):
        """`{argument: value}` for `compile` from this class's enabled components
        (an empty list when the option is off): the model's attributes of the same
        names and, serialized, its compile config."""
        if not components:
            return dict(cls.arguments)
        (component,) = components
        return {next(iter(cls.arguments)): component}

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        config = self.get_config()
        arguments = ", ".join(f"{key}={value!r}" for key, value in config.items())
        return f"{type(self).__name__}({arguments})"

    def received(self):
        """How an error message shows the option as given, e.g. "`packing=2`"."""
        name, value = next(iter(self.argument_values([self]).items()))
        return f"`{name}={value!r}`"

    def check(self, loss):
        """Raises a ValueError when the option has no meaning with the adversarial
        loss `loss` (a `GANLoss`)."""
        del loss

    def log_names(self):
        """The names this component logs (one `keras.metrics.Mean` each)."""
        return []

    def build(self, model):
        """Creates the option's state on `model` (inside the strategy scope)."""
        del model

    def before_step(self, context):
        del context

    def discriminator_input(self, images, model):
        del model
        return images

    def loss_terms(self, context, player, real_input, fake_input, labels):
        del context, player, real_input, fake_input, labels
        return 0.0

    def after_update(self, context, player):
        del context, player

    def after_step(self, context, global_batch_size):
        del context, global_batch_size


def _first_argument(component):
    return next(iter(type(component).arguments))


def check_combinations(components, traits, model_description):
    """Raises a ValueError for components that have no meaning together or in the
    model family.

    Args:
        components: The enabled `StepComponent`s.
        traits: The model family's traits (e.g. {"conditional"}).
        model_description: How the error names the model, e.g. "a ConditionalGAN".
    """
    for component in components:
        for trait, reason in component.unavailable_in.items():
            if trait in traits:
                raise ValueError(
                    f"`{_first_argument(component)}` is not available in "
                    f"{model_description}: {reason}. Received: {component.received()}."
                )
    for component in components:
        for other in components:
            reason = component.excludes.get(_first_argument(other))
            if other is not component and reason is not None:
                raise ValueError(
                    f"{reason} Received: {component.received()}, {other.received()}."
                )
    roles = {}
    for component in components:
        if component.role is None:
            continue
        if component.role in roles:
            other = roles[component.role]
            raise ValueError(
                f"{other.received()} and {component.received()} both set the step's "
                f"{component.role.replace('_', ' ')}; use one of them."
            )
        roles[component.role] = component
