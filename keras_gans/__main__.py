"""`python -m keras_gans`: see `keras_gans.cli`."""

import sys

from keras_gans.cli import main

sys.exit(main())
