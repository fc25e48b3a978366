"""`livescreen …`: the commands reviewers run by hand."""

import subprocess
import sys

from livescreen.cli import main


def test_without_a_command_it_lists_the_commands(capsys):
    assert main([]) == 2
    assert "livescreen evaluate" in capsys.readouterr().err


def test_python_dash_m_runs_the_same_entry_point(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "livescreen", "prisma"], capture_output=True, text=True
    )
    assert result.returncode == 2 and "usage: livescreen prisma" in result.stderr
