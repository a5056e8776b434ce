"""The demo's test runner: it reads the repository's code, it never executes it."""

from __future__ import annotations

import pytest

from agentreel.demo import TestFailure, check_tests

ARITH = """
def add(a, b):
    return a + b


def divide(a, b):
    if b == 0:
        raise ValueError("cannot divide by zero")
    return a / b


def half(x, by=2):
    return divide(x, by)
"""

TESTS = """
import pytest

from calc.arith import add, divide, half


def test_add():
    assert add(2, 3) == 5


def test_half():
    assert half(9) == 4.5


def test_wrong():
    assert add(2, 2) == 5


def test_raises():
    with pytest.raises(ValueError):
        divide(1, 0)


def test_does_not_raise():
    with pytest.raises(ValueError):
        divide(1, 1)


def test_raises_another_error():
    with pytest.raises(KeyError):
        divide(1, 0)
"""


def repo(**files: str) -> dict[str, str]:
    return {"calc/__init__.py": "", "calc/arith.py": ARITH, "tests/test_arith.py": TESTS, **files}


def test_passes_and_failures_are_reported_per_test() -> None:
    report = check_tests(repo(), "tests/test_arith.py")
    assert report.passed == (
        "tests/test_arith.py::test_add",
        "tests/test_arith.py::test_half",
        "tests/test_arith.py::test_raises",
    )
    assert report.failed == (
        TestFailure(
            test="tests/test_arith.py::test_wrong",
            error="AssertionError: assert add(2, 2) == 5 (left side was 4)",
        ),
        TestFailure(
            test="tests/test_arith.py::test_does_not_raise",
            error="Failed: DID NOT RAISE <class 'ValueError'>",
        ),
        TestFailure(
            test="tests/test_arith.py::test_raises_another_error",
            error="ValueError: cannot divide by zero",
        ),
    )
    assert report.summary == "3 failed, 3 passed"
    assert not report.ok


def test_python_errors_of_the_checked_code_keep_their_wording() -> None:
    files = repo(**{"calc/arith.py": "def divide(a, b):\n    return a / b\n"})
    files["tests/test_arith.py"] = (
        "from calc.arith import divide\n\n\ndef test_zero():\n    assert divide(1, 0) is None\n"
    )
    report = check_tests(files, "tests")
    assert report.failed == (
        TestFailure(
            test="tests/test_arith.py::test_zero", error="ZeroDivisionError: division by zero"
        ),
    )


def test_a_subclass_of_the_expected_exception_counts() -> None:
    files = repo()
    files["tests/test_arith.py"] = (
        "import pytest\nfrom calc.arith import add\n\n\ndef test_zero():\n"
        "    with pytest.raises(ArithmeticError):\n        add(1, 0) / 0\n"
    )
    assert check_tests(files, "tests").ok


def test_a_folder_runs_every_test_file_in_name_order() -> None:
    files = repo(**{"tests/test_more.py": "def test_one():\n    assert 1 + 1 == 2\n"})
    files["tests/helper.py"] = "def test_not_collected():\n    assert False\n"
    report = check_tests(files, "tests/")
    assert report.paths == ("tests/test_arith.py", "tests/test_more.py")
    assert "tests/test_more.py::test_one" in report.passed


def test_a_missing_module_fails_collection_like_python() -> None:
    files = repo()
    files["tests/test_arith.py"] = TESTS.replace("calc.arith", "calc.ops")
    with pytest.raises(ModuleNotFoundError, match=r"^No module named 'calc\.ops'$"):
        check_tests(files, "tests/test_arith.py")
    files["tests/test_arith.py"] = TESTS.replace("calc.arith", "kalc.arith")
    with pytest.raises(ModuleNotFoundError, match=r"^No module named 'kalc'$"):
        check_tests(files, "tests/test_arith.py")


def test_a_missing_name_and_a_missing_file_fail_like_python() -> None:
    files = repo()
    files["tests/test_arith.py"] = "from calc.arith import multiply\n"
    with pytest.raises(ImportError, match=r"cannot import name 'multiply' from 'calc\.arith'"):
        check_tests(files, "tests/test_arith.py")
    with pytest.raises(FileNotFoundError, match=r"tests/test_nothing\.py"):
        check_tests(files, "tests/test_nothing.py")


def test_relative_re_exports_resolve() -> None:
    files = repo(**{"calc/__init__.py": "from .arith import add\n"})
    files["tests/test_arith.py"] = (
        "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"
    )
    assert check_tests(files, "tests").passed == ("tests/test_arith.py::test_add",)


def test_code_outside_the_subset_is_reported_not_run() -> None:
    files = repo(**{"calc/arith.py": "def add(a, b):\n    for x in a:\n        pass\n"})
    files["tests/test_arith.py"] = (
        "from calc.arith import add\n\n\ndef test_add():\n    assert add([1], 2) == 3\n"
    )
    (failure,) = check_tests(files, "tests").failed
    assert failure.error == "the demo checker cannot run this test: `for x in a:` (line 2)"


def test_runaway_recursion_is_cut_short() -> None:
    files = repo(**{"calc/arith.py": "def add(a, b):\n    return add(a, b)\n"})
    files["tests/test_arith.py"] = (
        "from calc.arith import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"
    )
    (failure,) = check_tests(files, "tests").failed
    assert failure.error == "RecursionError: maximum recursion depth exceeded"
