"""Evaluates the generator every N epochs and writes the metrics into the logs.

The numbers go into the `logs` dict of `on_epoch_end`, so every callback after
this one sees them: `keras.callbacks.CSVLogger` writes them to the CSV,
`TensorBoard` plots them as scalars, `ModelCheckpoint(monitor="fid", mode="min")`
and `EarlyStopping` can monitor them, and the `History` returned by `fit` (which
Keras runs after the listed callbacks) holds them.
"""

import keras

from keras_gans import evaluation
from keras_gans._checks import check_positive_integer
from keras_gans.callbacks.scheduled import is_scheduled_epoch

__all__ = ["EvaluateGenerator"]


class EvaluateGenerator(keras.callbacks.Callback):
    """Computes FID, KID, IS, precision/recall or mode coverage during training.

    Every `every_n_epochs` epochs (and at the first and the last epoch of each
    `fit`), draws `num_samples` samples with `model.generate(num_samples,
    seed=seed)` — the same latents every time, from the EMA generator when the GAN
    has one — and adds the chosen metrics (see `keras_gans.evaluation` for the
    names and their log keys: "fid" -> `fid`, "kid" -> `kid`, `kid_std`, ...) to
    the epoch's logs. The real features are extracted once, at the first
    evaluation. On the epochs in between the metrics are not logged at all (no
    placeholder values): `History` lists them for the evaluated epochs only
    (`results_by_epoch` maps each evaluated epoch, counted from 1, to its results),
    `keras.callbacks.CSVLogger` writes "NA" there, `MetricsCSV` an empty cell.
    Keras' `ModelCheckpoint(monitor="fid", save_best_only=True)` saves on an epoch
    whose logs lack the monitored value, so run it on the same schedule:
    `Scheduled(ModelCheckpoint(...), every_n_epochs)` calls it on exactly the
    evaluated epochs (`EarlyStopping` then counts its patience in evaluations).

    Put it BEFORE `CSVLogger`, `TensorBoard`, `ModelCheckpoint` and
    `EarlyStopping` in the callback list: Keras calls the callbacks in order with
    one shared `logs` dict, so those after it see the metrics and those before it
    do not.

    Args:
        real_samples: Real samples to compare with, ideally held out from
            training (a NumPy array `[n, ...]` or an iterable of batches, e.g. a
            `tf.data.Dataset`; `num_real_samples` limits how many are taken).
        metrics: Names from "fid", "kid", "is", "pr", "modes" (a sequence or
            "fid,kid").
        dataset: The dataset's name: picks the "auto" extractor (digits
            classifier for digits / stacked digits, the points themselves for
            ring8 / grid25 / swiss_roll, the 2015 TF Inception graph
            "inception-2015" otherwise) and the `modes` protocol.
        feature_extractor: "auto", "digits", "inception-2015", "inception",
            "identity", a Keras model or callable giving `[n, d]` features, or an
            object with `features_and_logits` (`DigitsFeatures`,
            `Inception2015Features`, `InceptionFeatures`).
        num_samples: Generated samples per evaluation.
        every_n_epochs: Evaluate after every this many epochs.
        seed: Seed of the generated latents and of KID's subsets.
        resize: How digits were enlarged for training ("pad", "bilinear",
            "nearest"), so the digits classifier sees 8x8 digits again.
        num_real_samples: Use at most this many real samples.
        verbose: 1 prints the metrics after each evaluation.
        **evaluator_kwargs: `kid_subsets`, `kid_subset_size`,
            `inception_score_splits`, `precision_recall_k`, `mode_classifier`
            (see `keras_gans.evaluation.SampleEvaluator`).

    Example:

    >>> from keras_gans import GAN, architectures
    >>> gan = GAN(architectures.mlp_generator(4, 2), architectures.mlp_discriminator(2),
    ...           seed=0)
    >>> gan.compile()
    >>> real = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
    >>> history = gan.fit(real, epochs=2, batch_size=32, verbose=0, callbacks=[
    ...     EvaluateGenerator(real, metrics="fid", feature_extractor="identity",
    ...                       num_samples=64)])
    >>> len(history.history["fid"])
    2
    """

    def __init__(
        self,
        real_samples,
        metrics=("fid", "kid"),
        dataset=None,
        feature_extractor="auto",
        num_samples=evaluation.DEFAULT_NUM_SAMPLES,
        every_n_epochs=1,
        seed=0,
        resize=None,
        num_real_samples=None,
        verbose=0,
        **evaluator_kwargs,
    ):
        super().__init__()
        check_positive_integer(num_samples, "num_samples")
        check_positive_integer(every_n_epochs, "every_n_epochs")
        self.evaluator = evaluation.SampleEvaluator(
            real_samples,
            metrics,
            dataset=dataset,
            extractor=feature_extractor,
            resize=resize,
            num_real_samples=num_real_samples,
            seed=seed,
            **evaluator_kwargs,
        )
        self.num_samples = num_samples
        self.every_n_epochs = every_n_epochs
        self.seed = seed
        self.verbose = verbose
        self.keys = self.evaluator.keys
        self.last_results = None
        self.results_by_epoch = {}
        self._first_epoch = None

    def protocol(self):
        """The settings behind the logged numbers (extractor, sample counts, ...)."""
        return self.evaluator.protocol(self.num_samples)

    def evaluate(self):
        """The metrics of the current generator, a dict keyed as the logs."""
        samples = evaluation.generate_samples(
            self.model, self.num_samples, seed=self.seed
        )
        results = self.evaluator(samples)
        return {key: results[key] for key in self.keys}

    def on_train_begin(self, logs=None):
        self._first_epoch = None

    def on_epoch_begin(self, epoch, logs=None):
        if self._first_epoch is None:
            self._first_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        epochs = (self.params or {}).get("epochs")
        if logs is None or not is_scheduled_epoch(
            epoch,
            self.every_n_epochs,
            self._first_epoch,
            None if epochs is None else epochs - 1,
        ):
            return
        self.last_results = self.evaluate()
        self.results_by_epoch[epoch + 1] = self.last_results
        logs.update(self.last_results)
        if self.verbose:
            values = ", ".join(
                f"{key} {value:.4g}" for key, value in self.last_results.items()
            )
            print(f"Epoch {epoch + 1}: {values}")
