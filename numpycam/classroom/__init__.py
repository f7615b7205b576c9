"""The classroom: the grader of the exercises, the lessons as notebooks, the site."""
