"""The training core under every model family.

- `trainer`: players (networks and their optimizer), `minimize` (the tape, the
  replica share of the global-batch loss, mixed-precision loss scaling, the update
  and the gradient norm) and the replica-aware draws and reductions: the one module
  that touches `tf.GradientTape` and `tf.distribute`.
- `component`: `StepComponent`, the interface of a `GAN.compile` option, and the
  check of which options combine.
- `context`: `StepContext`, the one way a component reaches the discriminator.
- `options`: the registry of the GAN's step components, one line per technique.
"""
