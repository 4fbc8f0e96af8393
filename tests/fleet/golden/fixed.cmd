@echo off
rem wfplearn export: 10 rules as netsh advfirewall rules, from pc-golden.
rem Run elevated. Re-running replaces each rule (found by its wfplearn- name).
rem netsh has no rule group, local-user or package condition: rules that need one
rem are left out below (see the powershell format).
setlocal DisableDelayedExpansion
chcp 65001 >nul
netsh advfirewall firewall delete rule name="wfplearn-5428487f981f5ca8961a43d73c270497" >nul 2>&1
netsh advfirewall firewall add rule name="wfplearn-5428487f981f5ca8961a43d73c270497" description="wfplearn: firefox.exe out TCP 443,8000-8100: allowed 100, blocked 1, flows 3, first seen 2026-11-16T00:00:00.0000000Z, last seen 2026-11-22T23:00:00.0000000Z, learned on pc-golden" dir=out action=allow enable=yes profile=any program="%%ProgramFiles%%\Mozilla Firefox\firefox.exe" protocol="TCP" remoteport="443,8000-8100" remoteip="203.0.113.0/24"
rem left out: wfplearn-92f93fccfcb05493929a0745f0d1372f-tcp (C:\Users\o'brien\AppData\Local\$app `x`\naïve ‘q’.exe out): a local-user condition (netsh has no option for it; use powershell or intune)
rem left out: wfplearn-92f93fccfcb05493929a0745f0d1372f-udp (C:\Users\o'brien\AppData\Local\$app `x`\naïve ‘q’.exe out): a local-user condition (netsh has no option for it; use powershell or intune)
netsh advfirewall firewall delete rule name="wfplearn-339fc98ecaaa5460ab7ad7320fcaddc1" >nul 2>&1
netsh advfirewall firewall add rule name="wfplearn-339fc98ecaaa5460ab7ad7320fcaddc1" description="wfplearn: a^b!c (1).exe in UDP 5353: allowed 102, blocked 1, flows 3, first seen 2026-11-16T00:00:00.0000000Z, last seen 2026-11-22T23:00:00.0000000Z, learned on pc-golden" dir=in action=allow enable=yes profile=any program="%%ProgramFiles(x86)%%\100%% & co\a^b!c (1).exe" protocol="UDP" localport="5353"
rem left out: wfplearn-6a13f2339fbb50b9b1dd8652fb3b6026 (C:\Tools\50%%PATH%%x\t.exe out): the app path holds %%...%%, which Windows Firewall would expand as a variable
rem left out: wfplearn-6da566796ae55bcaa673e60c71851334 (\device\harddiskvolume9\x.exe out): the app is known only by its NT device path (no drive letter mapped)
rem left out: wfplearn-e85d9722331d509fb941275d5e0185e0 (any app out): a package (AppContainer) condition (netsh has no option for it; use powershell)
rem left out: wfplearn-3b17624ac11c5251af494f9c14330826 (C:\Windows\System32\ping.exe out): ports on a protocol other than TCP or UDP (Windows Firewall takes ports only with TCP or UDP)
netsh advfirewall firewall delete rule name="wfplearn-4b2ccd47094157cb9ad836b0e54a959a" >nul 2>&1
netsh advfirewall firewall add rule name="wfplearn-4b2ccd47094157cb9ad836b0e54a959a" description="wfplearn: any app in TCP 3389: allowed 107, blocked 1, flows 3, first seen 2026-11-16T00:00:00.0000000Z, last seen 2026-11-22T23:00:00.0000000Z, learned on pc-golden" dir=in action=allow enable=yes profile=any protocol="TCP" localport="3389" remoteip="10.0.0.0/8,2001:db8::/32"
rem left out: wfplearn-667e3ff4f0685d4cafe84e5cee637387 (C:\Windows\System32\svchost.exe out): a local-user condition (netsh has no option for it; use powershell or intune)
endlocal
