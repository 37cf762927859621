"""The run's `metrics.csv`: one row per epoch, numbered as the sample files are."""

import csv
import os

import keras

__all__ = ["MetricsCSV"]


class MetricsCSV(keras.callbacks.Callback):
    """Writes every epoch's logs to a CSV file, one row per epoch, from epoch 1.

    Unlike `keras.callbacks.CSVLogger`, the columns are exactly the logs that were
    computed: a metric evaluated on some epochs only (`fid` of `EvaluateGenerator`)
    gets an empty cell on the others, a column appears when its metric first does,
    and no `val_*` columns are added for a run without validation data. Epochs are
    counted from 1, as `samples/epoch_NNN.png` and the checkpoints are. The file is
    rewritten whole after every epoch (a run has at most thousands of rows) through
    a temporary file and `os.replace`, so a run killed mid-write leaves the
    previous epoch's complete file.

    Args:
        path: The CSV file.
        append: Keep the rows already in `path` (a resumed run): rows of epochs up
            to the epoch `fit` starts from are kept, later ones dropped.
    """

    def __init__(self, path, append=False):
        super().__init__()
        self.path = path
        self.append = append
        self.rows = []

    def on_train_begin(self, logs=None):
        self.rows = []
        if self.append and os.path.exists(self.path):
            with open(self.path, newline="") as file:
                self.rows = list(csv.DictReader(file))

    def on_epoch_begin(self, epoch, logs=None):
        # A resumed `fit` starts at `epoch` (0-based): rows after it are from epochs
        # that are being trained again.
        self.rows = [row for row in self.rows if int(row["epoch"]) <= epoch]

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": str(epoch + 1)}
        for key, value in sorted((logs or {}).items()):
            row[key] = _format(value)
        self.rows.append(row)
        self._write()

    def _write(self):
        columns = ["epoch"]
        for row in self.rows:
            columns += [key for key in row if key not in columns]
        temporary = f"{self.path}.tmp"
        with open(temporary, "w", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=columns, restval="")
            writer.writeheader()
            writer.writerows(self.rows)
        os.replace(temporary, self.path)


def _format(value):
    """A log value as CSV text (numbers at full float precision)."""
    try:
        return repr(float(value))
    except (TypeError, ValueError):
        return str(value)
