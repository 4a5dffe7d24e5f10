"""Imported first by every helper that uses TensorFlow or Keras: TensorFlow then starts quietly (its C++
start-up notices never reach a notebook's output; see :mod:`helpers._quiet`)."""

from helpers._quiet import import_tensorflow_quietly

import_tensorflow_quietly()
