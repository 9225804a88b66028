"""Grade a whole class with nbgrader: safely (sandboxed student code) and fast (parallel workers).

``dlkit-grade`` (``cli``) collects submissions (``collect``), autogrades them in parallel worker
processes (``batch``, ``worker``) under limits (``sandbox``), scans them for tampering (``tamper``)
and writes a class report (``report``).
"""
