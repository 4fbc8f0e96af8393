#!/usr/bin/env bash
# win7-imports.sh EXE [OBJDUMP] — fail when EXE statically imports a Windows function newer than
# Windows 7: Windows refuses to start an exe whose import it cannot bind ("The procedure entry
# point ... could not be located"), so one such import stops wfplearn.exe loading on Windows 7
# at all. Those functions are resolved at run time instead (GetProcAddress, with a fallback).
# The list holds the Windows 8+ functions (Microsoft docs' "Minimum supported client: Windows 8"
# or later) of the DLLs wfplearn imports that this code or its libraries could plausibly reach;
# it is a deny list, so review it when a new Win32 call comes in. Registered as a ctest of the
# Windows build (tests/CMakeLists.txt: check_win7_imports); not in scripts/checks/, whose
# scripts test.sh runs without arguments.
set -euo pipefail
exe=$1
objdump=${2:-x86_64-w64-mingw32-objdump}
newer='GetSystemTimePreciseAsFileTime CreateFile2 CopyFile2 WaitOnAddress WakeByAddressSingle
WakeByAddressAll GetCurrentThreadStackLimits SetThreadInformation GetThreadInformation
GetOverlappedResultEx PrefetchVirtualMemory CreateFileMappingFromApp MapViewOfFileFromApp
GetProcessMitigationPolicy SetProcessMitigationPolicy GetSystemTimeAdjustmentPrecise
QueryUnbiasedInterruptTimePrecise GetFirmwareType CreateRemoteThreadEx GetPackageFamilyName
GetCurrentPackageId GetThreadDescription SetThreadDescription VirtualAlloc2 MapViewOfFile3
GetTempPath2A GetTempPath2W CompareObjectHandles GetSystemCpuSetInformation
SetCoalescableTimer WaitForDebugEventEx SetDefaultDllDirectories AddDllDirectory
RemoveDllDirectory GetMachineTypeAttributes'
imports=$("$objdump" -p "$exe" | awk '/DLL Name:/{dll=$3; next} dll && /^\t[0-9a-f]+\t +[0-9]+ +/{print $3}')
[ -n "$imports" ] || { echo "win7-imports: no imports read from $exe" >&2; exit 1; }
bad=0
for f in $newer; do
  if grep -qx "$f" <<<"$imports"; then
    echo "win7-imports: $exe imports $f (Windows 8 or later): resolve it at run time" >&2
    bad=1
  fi
done
[ "$bad" = 0 ] && echo "win7-imports: $(wc -l <<<"$imports") imports, none newer than Windows 7"
exit $bad
