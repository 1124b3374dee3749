"""One module per kind of test of a lab's grading.json (docs/teaching.md): each has a
function `(grader, spec) -> (fraction of the points, output for the student)`."""
