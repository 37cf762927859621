"""Failure detectors (T20): warn (and optionally stop) when training goes wrong.

The symptoms a GAN practitioner watches for (catalogue T20):
- **discriminator wins**: D's loss goes to 0, so G's gradients vanish (saturating
  losses) or explode;
- **exploding gradients**: a player's gradient norm above 100;
- **non-finite values**: a loss, penalty or gradient norm is NaN or Inf;
- **diverged**: a loss (a log ending in "loss") or the mean logits (`real_logits`,
  `fake_logits`) beyond ±1e6 (`divergence_threshold`) while still finite. Healthy
  runs stay orders of magnitude below that (a sigmoid saturates at |logit| ~ 17), so
  such values mean the updates have blown up, typically a learning rate far too high;
- **mode collapse**: generated samples much less diverse than real ones, measured as
  the mean pairwise distance of a fixed batch of samples over that of real samples.

Each symptom is reported the first time it appears in a run, as a
`TrainingFailureWarning` naming the symptom, the value, the threshold, the epoch and the
step (later occurrences are recorded in `reported` without a new warning); symptoms
listed in `stop_on` also end training (`model.stop_training`) at the end of the batch or
epoch, and symptoms listed in `raise_on` raise `TrainingFailureError` instead (at once,
so the epoch-end callbacks never save the broken state: the newest checkpoint stays the
last good one). The command line's run raises on "diverged".

The gradient-norm threshold of 100 is the catalogue's rule of thumb: a DCGAN
discriminator's batch-norm layers commonly reach norms of 100-200 in healthy runs, so
treat that warning as a prompt to look at the curves, not as a failure.
"""

import math
import warnings

import keras
import numpy as np

from keras_gans._checks import check_integer
from keras_gans.callbacks.scheduled import is_scheduled_epoch

__all__ = [
    "DIVERGENCE_THRESHOLD",
    "SYMPTOMS",
    "FailureDetector",
    "TrainingFailureError",
    "TrainingFailureWarning",
    "mean_pairwise_distance",
]

SYMPTOMS = (
    "discriminator_wins",
    "exploding_gradients",
    "non_finite",
    "diverged",
    "mode_collapse",
)
# "diverged": a loss or mean logit beyond ±this (see the module docstring).
DIVERGENCE_THRESHOLD = 1e6
# The logs whose magnitude "diverged" watches besides the losses.
_LOGIT_LOGS = ("real_logits", "fake_logits")


class TrainingFailureWarning(UserWarning):
    """A GAN training failure symptom (see `FailureDetector`)."""


class TrainingFailureError(RuntimeError):
    """Training stopped on a symptom in `FailureDetector(raise_on=...)`.

    Attributes:
        symptom: The symptom's name, from `SYMPTOMS`.
    """

    def __init__(self, symptom, message):
        super().__init__(message)
        self.symptom = symptom


def mean_pairwise_distance(samples):
    """The mean Euclidean distance between distinct samples (flattened)."""
    flat = np.asarray(samples, dtype="float64").reshape(len(samples), -1)
    squared = np.sum(flat**2, axis=1)
    # [n, n] squared distances from ‖a‖² + ‖b‖² - 2 a·b
    distances = np.sqrt(
        np.maximum(squared[:, None] + squared[None, :] - 2.0 * flat @ flat.T, 0.0)
    )
    count = len(flat)
    return float(distances.sum() / (count * (count - 1)))


class FailureDetector(keras.callbacks.Callback):
    """Watches a `keras_gans.GAN`'s logs and samples for the failure symptoms T20.

    Args:
        discriminator_loss_threshold: "D wins" when `d_loss` falls below this (losses
            whose minimum is 0: the cross-entropy, least-squares and hinge losses;
            the check is skipped for the Wasserstein loss, which has no floor).
        gradient_norm_threshold: "exploding gradients" above this norm (the logs
            `d_grad_norm`, `g_grad_norm`).
        real_samples: Real samples (NumPy, >= 2) for the mode-collapse check; None
            skips it.
        diversity_ratio_threshold: "mode collapse" when the generated samples' mean
            pairwise distance is below this fraction of the real samples'.
        num_samples: Generated samples per collapse check (fixed seed).
        collapse_check_every_n_epochs: Run the collapse check (it generates
            `num_samples` samples) on the first epoch, every this many epochs and
            the last; the log checks run after every batch.
        stop_on: Symptoms (names from `SYMPTOMS`) that also stop training.
        divergence_threshold: "diverged" when the magnitude of a loss or of the
            mean logits exceeds this.
        raise_on: Symptoms that raise `TrainingFailureError` at once instead of
            warning (they end `fit` before any epoch-end callback saves).
        checkpoint_hint: Text added to that error (e.g. where the last good
            checkpoint is).
    """

    def __init__(
        self,
        discriminator_loss_threshold=1e-3,
        gradient_norm_threshold=100.0,
        real_samples=None,
        diversity_ratio_threshold=0.1,
        num_samples=256,
        collapse_check_every_n_epochs=1,
        stop_on=("non_finite",),
        divergence_threshold=DIVERGENCE_THRESHOLD,
        raise_on=(),
        checkpoint_hint="",
    ):
        super().__init__()
        for argument, symptoms in (("stop_on", stop_on), ("raise_on", raise_on)):
            if set(symptoms) - set(SYMPTOMS):
                raise ValueError(
                    f"`{argument}` should name symptoms from {SYMPTOMS}. "
                    f"Received: `{argument}={tuple(symptoms)!r}`."
                )
        if not divergence_threshold > 0:
            raise ValueError(
                "`divergence_threshold` should be a positive number. "
                f"Received: `divergence_threshold={divergence_threshold!r}`."
            )
        if real_samples is not None and len(real_samples) < 2:
            raise ValueError(
                "`real_samples` should hold at least 2 samples for the diversity "
                f"check. Received {len(real_samples)}."
            )
        self.discriminator_loss_threshold = discriminator_loss_threshold
        self.gradient_norm_threshold = gradient_norm_threshold
        self.diversity_ratio_threshold = diversity_ratio_threshold
        self.num_samples = num_samples
        self.collapse_check_every_n_epochs = check_integer(
            collapse_check_every_n_epochs, "collapse_check_every_n_epochs"
        )
        self._first_epoch = None
        self.stop_on = tuple(stop_on)
        self.divergence_threshold = divergence_threshold
        self.raise_on = tuple(raise_on)
        self.checkpoint_hint = checkpoint_hint
        self.real_diversity = (
            None if real_samples is None else mean_pairwise_distance(real_samples)
        )
        self.reported = []  # (epoch, symptom, message), for programmatic checks.
        self._epoch = 0

    def on_train_begin(self, logs=None):
        self._first_epoch = None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        if self._first_epoch is None:
            self._first_epoch = epoch

    def _report(self, symptom, message):
        if any(e == self._epoch and s == symptom for e, s, _ in self.reported):
            return  # Recorded once per epoch and symptom ...
        first = all(s != symptom for _, s, _ in self.reported)
        self.reported.append((self._epoch, symptom, message))
        if symptom in self.raise_on:
            hint = self.checkpoint_hint
            raise TrainingFailureError(
                symptom, f"Training stopped ({symptom}): {message} {hint}".strip()
            )
        if first:  # ... and warned about once per run.
            warnings.warn(f"{symptom}: {message}", TrainingFailureWarning, stacklevel=2)
        if symptom in self.stop_on:
            self.model.stop_training = True

    def _checks_discriminator_loss(self):
        loss = getattr(self.model, "adversarial_loss", None)
        return loss is None or loss.name != "wasserstein"

    def on_train_batch_end(self, batch, logs=None):
        where = f"epoch {self._epoch + 1}, step {batch + 1}"
        for name, value in (logs or {}).items():
            value = float(np.mean(value))
            if not math.isfinite(value):
                self._report("non_finite", f"`{name}` is {value} at {where}.")
            elif (name.endswith("loss") or name in _LOGIT_LOGS) and abs(
                value
            ) > self.divergence_threshold:
                self._report(
                    "diverged",
                    f"`{name}` is {value:.4g}, beyond ±{self.divergence_threshold:g}, "
                    f"at {where}: the updates have blown up (is a learning rate far "
                    "too high?).",
                )
            elif name.endswith("grad_norm") and value > self.gradient_norm_threshold:
                self._report(
                    "exploding_gradients",
                    f"`{name}` is {value:.4g} > {self.gradient_norm_threshold} at "
                    f"{where}.",
                )
            elif (
                name == "d_loss"
                and self._checks_discriminator_loss()
                and abs(value) < self.discriminator_loss_threshold
            ):
                self._report(
                    "discriminator_wins",
                    f"`d_loss` is {value:.3g} < {self.discriminator_loss_threshold} at "
                    f"{where}: D separates real from fake and G's gradients vanish.",
                )

    def on_epoch_end(self, epoch, logs=None):
        epochs = (self.params or {}).get("epochs")
        if self.real_diversity is None or not is_scheduled_epoch(
            epoch,
            self.collapse_check_every_n_epochs,
            self._first_epoch,
            None if epochs is None else epochs - 1,
        ):
            return
        samples = self.model.generate(self.num_samples, seed=epoch)
        ratio = mean_pairwise_distance(samples) / self.real_diversity
        if ratio < self.diversity_ratio_threshold:
            self._report(
                "mode_collapse",
                f"generated samples' mean pairwise distance is {ratio:.3g} of the "
                f"real samples' (< {self.diversity_ratio_threshold}) after epoch "
                f"{epoch + 1}.",
            )
