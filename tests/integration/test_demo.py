"""`make demo` keeps working: scripts/demo.sh, run to its end
(DEMO_NO_WAIT=1) in a temporary directory with the binaries under test,
syncs alice's contacts to her second device, and shows bob's acceptance of
alice's meeting, his answer and progress on her task, and their free/busy.
"""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SRC, TempDirTestCase, _binary  # noqa: E402


class Demo(TempDirTestCase):
    def test_demo_runs_to_the_end(self):
        env = dict(os.environ, DEMO_NO_WAIT="1", DEMO_DIR=os.path.join(self.tmp, "demo"),
                   ATRIUMD=_binary("ATRIUMD", "atriumd"), ATRIUM=_binary("ATRIUM", "atrium"))
        cp = subprocess.run(["bash", os.path.join(SRC, "scripts", "demo.sh")], env=env,
                            capture_output=True, text=True, timeout=300)
        self.assertEqual(cp.returncode, 0, cp.stdout[-3000:] + cp.stderr[-3000:])
        out = cp.stdout
        for want in ("Lovelace, Ada", "Hopper, Grace", "Budget review",
                     "Quarterly report [from alice]",
                     'bob: accepted "I\'ll bring the figures"',
                     "answer accepted; progress inProgress, 40 %"):
            self.assertIn(want, out)
        grid = [line for line in out.splitlines() if line.startswith(("alice ", "bob "))]
        self.assertEqual(len(grid), 2, out)
        for line in grid:
            # 10:00-11:00 in Paris: the half-hour slots 20 and 21
            self.assertEqual(line[-48:][20:22], "##", line)
            self.assertEqual(line[-48:].count("#"), 2, line)


if __name__ == "__main__":
    unittest.main()
