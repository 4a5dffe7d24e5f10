"""Notebook 01, exercise 2 (apply): unused_imports."""

from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex2"
answers = Answers("01")


@test_case()
def check_unused_imports(unused_imports):
    article = "import torch\nimport numpy as np\nfrom tensorflow import keras\nmodel = keras.Model()\nx = np.ones(2)"
    answers.same(unused_imports, "the article's imports", article)
    aliases = "import os.path\nimport json as j\nfrom math import pi, tau\nprint(j.dumps(pi), os.sep)"
    answers.same(unused_imports, "aliases, dotted names and from-imports", aliases)
    answers.same(unused_imports, "code without imports", "x = 1")
