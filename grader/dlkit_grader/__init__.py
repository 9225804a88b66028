"""Grade a whole class with nbgrader: safely (sandboxed student code) and fast (parallel workers).

``dlkit-grade`` (``cli``, an nbgrader application) collects submissions (``collect``; the names and the
grades files of learning platforms are in ``lms``), autogrades them in parallel worker processes (``batch``,
``worker``) under the limits of ``sandbox``, scans them for tampering (``tamper``), keeps everything in the
course's gradebook (``gradebook``; the course folder is ``course``) and writes a class report (``report``).
"""
