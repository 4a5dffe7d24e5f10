"""Imported first by every helper that uses TensorFlow or Keras: TensorFlow then starts quietly (its C++
start-up notices never reach a notebook's output; see :mod:`helpers._quiet`).

One Python-side notice is dropped too: "N out of the last M calls to <function ...> triggered tf.function
retracing". Keras builds a new predict step for each new batch shape and after each ``compile``, so a notebook that
embeds sets of several sizes with several models (17) meets it; it is advice on speed, and its function address
changes from run to run. Every other TensorFlow log message passes.
"""

import logging

from helpers._quiet import import_tensorflow_quietly

import_tensorflow_quietly()


class _NoRetracingNotice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


def _drop_retracing_notice() -> None:
    import tensorflow as tf

    tf.get_logger().addFilter(_NoRetracingNotice())


_drop_retracing_notice()
