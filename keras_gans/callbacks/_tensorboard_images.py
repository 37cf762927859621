"""Writes PNG pictures into a TensorBoard log folder as image summaries (private).

TensorBoard's image summaries are TensorFlow-specific (`tf.summary.image`), so
TensorFlow is imported here, when a picture is first written.
"""

import numpy as np
from PIL import Image


class TensorBoardImages:
    """One `tf.summary` file writer in `log_dir`; `write(tag, png_path, step)`."""

    def __init__(self, log_dir):
        self.log_dir = log_dir
        self._writer = None

    def write(self, tag, png_path, step):
        import tensorflow as tf

        if self._writer is None:
            self._writer = tf.summary.create_file_writer(self.log_dir)
        with Image.open(png_path) as picture:
            pixels = np.asarray(picture.convert("RGB"))  # [height, width, 3]
        with self._writer.as_default():
            tf.summary.image(tag, pixels[np.newaxis], step=step)  # [1, h, w, 3]
        self._writer.flush()

    def close(self):
        if self._writer is not None:
            self._writer.close()
            self._writer = None
