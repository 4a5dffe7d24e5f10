"""Notebook 16, exercise 1 (recall): cluster_configs."""

import json

from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex1"
answers = Answers("16")


@test_case()
def check_cluster_configs(cluster_configs):
    addresses = ["10.0.0.1:2222", "10.0.0.2:2222", "10.0.0.3:2345"]
    answers.same(cluster_configs, "three workers", addresses, transform=lambda texts: [json.loads(t) for t in texts])
