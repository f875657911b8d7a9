"""Helpers shared by the test suite and the benchmarks: real servers and DAV requests.

Import them as ``tests.support.<module>`` (the ``tests`` directory is a package).
"""
