#!/bin/sh
# wine-run.sh — ctest's CMAKE_CROSSCOMPILING_EMULATOR for the mingw build:
#   cmake/wine-run.sh WINEPREFIX PROGRAM.exe [ARGS...]
# Runs PROGRAM under wine in the build's own prefix (never ~/.wine), quiet (WINEDEBUG=-all unless
# the caller set WINEDEBUG), and with winedbg disabled so that a crash ends the process with a
# failing exit code at once instead of starting a debugger. Extra DLL overrides a test needs
# (e.g. fwpuclnt=n for a fake DLL beside the .exe) can be given in WINEDLLOVERRIDES: ours are
# appended. Wine passes the Unix environment through; /work/x is Z:\work\x inside.
# If no wineserver runs for the prefix, one is started that lingers 30 s after its last client
# (wine's start costs ~2.5 s per process without it, ~0.05 s with it), and booted with /dev/null
# as stdio: wine's service processes inherit the stdio of whatever boots the prefix and outlive
# it, and ctest waits for the pipes they hold. scripts/test.sh starts and boots its own.
prefix=$1
shift
export WINEPREFIX="$prefix"
export WINEDEBUG="${WINEDEBUG:--all}"
export WINEDLLOVERRIDES="${WINEDLLOVERRIDES:+$WINEDLLOVERRIDES;}winedbg.exe=d;mscoree,mshtml="
mkdir -p "$prefix"
if wineserver -p30 </dev/null >/dev/null 2>&1; then   # 0: started now; 2: one already runs
  wine wineboot </dev/null >/dev/null 2>&1
fi
exec wine "$@"
