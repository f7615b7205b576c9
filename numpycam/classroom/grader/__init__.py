"""Grade students' exercise files (``lessons/exercises/``) with the project's own tests.

Each exercise is a function with a fixed signature; its checks are the ideas of the test suite
drawn with plain NumPy: a hand-worked case (with the predictable mistakes named), agreement with
the library on random inputs, central finite differences projected on a random dout, and the
CAM / Grad-CAM identities on random GAP networks. Every check carries points.

    table      the exercises, by lesson, with their checks and points
    judge      calling a student's function and the words of every failure
    props_*    the checks themselves
    grading    one exercise in this process: points per check, the status
    integrity  the refusal of files that import numpycam or reach for the grader
    child      the process that grades one submission and reports on a pipe
    harness    submissions in child processes, with time, memory and output limits
    report     the report, the one-line summaries, and the CSV / JSON / Gradescope gradebooks
"""

from numpycam.classroom.grader.grading import Result, grade
from numpycam.classroom.grader.harness import Submission, grade_file, submissions
from numpycam.classroom.grader.table import BY_NAME, EXERCISES, NAMES, select

__all__ = ["BY_NAME", "EXERCISES", "NAMES", "Result", "Submission", "grade", "grade_file",
           "select", "submissions"]
