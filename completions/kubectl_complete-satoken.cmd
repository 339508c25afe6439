@echo off
rem Completion for `kubectl satoken TAB` on Windows (kubectl 1.26 and later): kubectl finds this
rem file on PATH (through PATHEXT) and runs it with the words typed after `satoken`. Put it
rem next to kubectl-satoken.exe: it runs the one beside it (%~dp0 is its own folder). The `--` keeps every typed word, even `--help`, a word to
rem complete; the words are passed on as kubectl quoted them.
"%~dp0kubectl-satoken.exe" __complete -- %*
