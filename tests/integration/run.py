#!/usr/bin/env python3
"""Runs the integration tests (tests/integration/test_*.py) and ends with
the line 'N passed, N failed, N skipped'. Exit status 1 on any failure.

Usage: run.py [PATTERN]   (a substring of the test id to select tests)
"""
import os
import sys
import time
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)


class Result(unittest.TextTestResult):
    def startTest(self, test):
        self._t0 = time.time()
        super().startTest(test)


def main():
    pattern = sys.argv[1] if len(sys.argv) > 1 else ''
    suite = unittest.defaultTestLoader.discover(here, pattern='test_*.py', top_level_dir=here)

    def flatten(s):
        for t in s:
            if isinstance(t, unittest.TestSuite):
                yield from flatten(t)
            else:
                yield t
    tests = [t for t in flatten(suite) if pattern in t.id()]
    for t in tests:
        if isinstance(t, unittest.loader._FailedTest):
            print('cannot load', t.id(), file=sys.stderr)
    selected = unittest.TestSuite(tests)
    runner = unittest.TextTestRunner(verbosity=2, resultclass=Result, stream=sys.stdout)
    result = runner.run(selected)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = max(0, result.testsRun - failed - skipped)
    print('integration: %d passed, %d failed, %d skipped' % (passed, failed, skipped))
    return 1 if failed or result.testsRun == 0 else 0


if __name__ == '__main__':
    sys.exit(main())
