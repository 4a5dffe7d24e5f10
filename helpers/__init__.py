"""Shared code for the contrastive-learning course.

Modules follow the pipeline the notebooks teach:

- :mod:`helpers.data`      — load and verify MNIST, ``preprocess``, the train/validation split
- :mod:`helpers.pairs`     — ``generate_pairs`` (positive/negative pairs, index or image form)
- :mod:`helpers.losses`    — ``euclidean_distance``, ``contrastive_loss``, ``accuracy``; the batch losses of
  notebooks 12 and 14 (all pairs, triplet with semi-hard or batch-hard mining, SupCon)
- :mod:`helpers.models`    — ``siamese_twin``, ``siamese_network``, ``compile_siamese``
- :mod:`helpers.plots`     — ``display_pairs``, ``plot_history``, ``plot_loss_vs_distance``, the diagrams
  ``plot_siamese_diagram`` and ``plot_course_map``, ``plot_class_balance``, ``plot_parameters_per_layer``
- :mod:`helpers.evaluation` — pair accuracy, ROC/AUC, validation-chosen threshold, k-NN and few-shot, which
  classes are confused or lie closest
- :mod:`helpers.floors`    — ``check_floors``: what each trained model must at least reach, in one table
- :mod:`helpers.selfsup`   — SimCLR: augmentations per data set, ``nt_xent_loss`` and the model of notebook 13
- :mod:`helpers.compare`   — one twin, one budget, one evaluation: the losses of notebook 14 and the ablation
- :mod:`helpers.training`  — ``Checkpoints``: a callback with which ``fit`` resumes after a stop; the shipped weights
- :mod:`helpers.distribute` — the same training on several devices or processes (``tf.distribute``): the batch
  losses over the global batch, synchronised batch norm, local multi-worker runs (notebook 15)
- :mod:`helpers.parameters` — one rule per notebook parameter, shared by the runner and the notebooks
- :mod:`helpers.repro`     — ``set_seed`` (Python, NumPy, Keras and TensorFlow determinism)
- :mod:`helpers.artifacts` — atomic writes of models, histories and figures into the build folder
- :mod:`helpers.notebook`  — ``show_source`` (a helper's code, displayed where it is taught), the lock check,
  ``course_outline`` (each notebook's number, title and article step, read from the notebooks)

Importing ``helpers`` (or :mod:`helpers.parameters`, :mod:`helpers.artifacts`) loads no TensorFlow; the modules
that use it start it quietly (:mod:`helpers._tensorflow`).
"""

__all__ = ["artifacts", "compare", "data", "distribute", "evaluation", "floors", "losses", "models", "notebook",
           "pairs", "parameters", "plots", "repro", "selfsup", "training"]
