"""Saving a model's `SeedGenerator` state with its weights."""


class SavesSeedState:
    """Mixin for a `keras.Model` with a `seed_generator`: its state is saved and
    restored with the weights.

    Keras does not save `SeedGenerator` states with the weights, so without this a
    restored run (`BackupAndRestore`, `load_model`) would draw other random numbers
    (latents, holes) than an uninterrupted run. The state is stored under
    `_SEED_STATE_KEY` beside the model's own variables; files saved without it load
    with the seed generator as constructed.
    """

    _SEED_STATE_KEY = "latent_seed_state"

    def save_own_variables(self, store):
        super().save_own_variables(store)
        store[self._SEED_STATE_KEY] = self.seed_generator.state.numpy()

    def load_own_variables(self, store):
        keys = list(store.keys())
        if self._SEED_STATE_KEY in keys:
            self.seed_generator.state.assign(store[self._SEED_STATE_KEY])
        super().load_own_variables(
            {key: store[key] for key in keys if key != self._SEED_STATE_KEY}
        )
