"""helpers/floors.py: a notebook's hidden cell calls ``check_floors``; the learner sees nothing when the model
clears its floors, and one clear line naming the measure when it does not."""

import pytest

from helpers.floors import FLOORS, check_floors

GOOD = {"test_auc": 0.97, "test_accuracy": 0.92, "knn1_accuracy": 0.89}


def test_a_model_at_or_above_its_floors_passes_silently(capsys):
    assert check_floors("10_evaluation", "mnist", GOOD) is None
    exactly = dict(FLOORS["10_evaluation"]["mnist"])  # a floor is reached, not exceeded
    assert check_floors("10_evaluation", "mnist", exactly) is None
    assert capsys.readouterr() == ("", "")


def test_a_model_below_a_floor_stops_the_notebook_with_one_line_naming_each_low_measure():
    with pytest.raises(AssertionError) as caught:
        check_floors("10_evaluation", "mnist", {**GOOD, "test_auc": 0.5, "knn1_accuracy": 0.1})
    message = str(caught.value)
    assert "\n" not in message
    assert "10_evaluation on mnist" in message
    assert "test_auc 0.5 is below its floor 0.95" in message and "knn1_accuracy 0.1 is below its floor 0.85" in message
    assert "test_accuracy" not in message, "a measure above its floor is not blamed"


def test_a_nan_measure_is_below_every_floor():
    with pytest.raises(AssertionError, match="test_auc nan is below its floor"):
        check_floors("10_evaluation", "mnist", {**GOOD, "test_auc": float("nan")})


def test_a_shorter_budget_or_a_data_set_without_floors_is_not_held_to_them(capsys):
    low = {key: 0.0 for key in GOOD}
    assert check_floors("10_evaluation", "mnist", low, full_budget=False) is None
    assert check_floors("10_evaluation", "emnist", low) is None
    assert capsys.readouterr() == ("", "")


def test_a_wrong_call_is_an_error_that_names_the_argument():
    with pytest.raises(ValueError, match=r"^notebook: expected one of .*got '99_nothing'$"):
        check_floors("99_nothing", "mnist", GOOD)
    with pytest.raises(ValueError, match=r"^measured: expected the measures .*missing \['test_auc'\]$"):
        check_floors("10_evaluation", "mnist", {"test_accuracy": 0.92, "knn1_accuracy": 0.89})
