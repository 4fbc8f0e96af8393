# wfplearn export: 10 rules as Windows Firewall rules, group 'wfplearn', from pc-golden.
# Run elevated:  .\wfplearn.ps1                              (this machine)
#                .\wfplearn.ps1 -PolicyStore 'contoso.com\Workstations'  (a GPO)
# Re-running it replaces the group's rules in that store.
[CmdletBinding()]
param([string]$PolicyStore = 'PersistentStore', [switch]$BlockOutboundByDefault)
$ErrorActionPreference = 'Stop'
$gpo = $null
if ($PolicyStore -notin @('PersistentStore', 'ActiveStore', 'localhost')) {
  $gpo = Open-NetGPO -PolicyStore $PolicyStore
  $target = @{ GPOSession = $gpo }
} else {
  $target = @{ PolicyStore = $PolicyStore }
}
Get-NetFirewallRule @target -Group 'wfplearn' -ErrorAction SilentlyContinue |
  Remove-NetFirewallRule

New-NetFirewallRule @target -Name 'wfplearn-5428487f981f5ca8961a43d73c270497' -DisplayName 'wfplearn: firefox.exe out TCP 443,8000-8100' -Group 'wfplearn' -Description 'allowed 100, blocked 1, flows 3, first seen 2026-11-16T00:00:00.0000000Z, last seen 2026-11-22T23:00:00.0000000Z, learned on pc-golden' -Direction Outbound -Action Allow -Program '%ProgramFiles%\Mozilla Firefox\firefox.exe' -Protocol 'TCP' -RemotePort '443','8000-8100' -RemoteAddress '203.0.113.0/24' | Out-Null
New-NetFirewallRule @target -Name 'wfplearn-92f93fccfcb05493929a0745f0d1372f-tcp' -DisplayName 'wfplearn: naïve ‘‘q’’.exe out TCP 443' -Group 'wfplearn' -Description 'allowed 101, blocked 1, flows 3, first seen 2026-11-16T00:00:00.0000000Z, last seen 2026-11-22T23:00:00.0000000Z, learned on pc-golden' -Direction Outbound -Action Allow -Program 'C:\Users\o''brien\AppData\Local\$app `x`\naïve ‘‘q’’.exe' -Protocol 'TCP' -RemotePort '443' -LocalUser 'O:LSD:(A;;CC;;;S-1-5-21-1000-2000-3000-1001)' | Out-Null
New-NetFirewallRule @target -Name 'wfplearn-92f93fccfcb05493929a0745f0d1372f-udp' -DisplayName 'wfplearn: naïve ‘‘q’’.exe out UDP 443' -Group 'wfplearn' -Description 'allowed 101, blocked 1, flows 3, first seen 2026-11-16T00:00:00.0000000Z, last seen 2026-11-22T23:00:00.0000000Z, learned on pc-golden' -Direction Outbound -Action Allow -Program 'C:\Users\o''brien\AppData\Local\$app `x`\naïve ‘‘q’’.exe' -Protocol 'UDP' -RemotePort '443' -LocalUser 'O:LSD:(A;;CC;;;S-1-5-21-1000-2000-3000-1001)' | Out-Null
New-NetFirewallRule @target -Name 'wfplearn-339fc98ecaaa5460ab7ad7320fcaddc1' -DisplayName 'wfplearn: a^b!c (1).exe in UDP 5353' -Group 'wfplearn' -Description 'allowed 102, blocked 1, flows 3, first seen 2026-11-16T00:00:00.0000000Z, last seen 2026-11-22T23:00:00.0000000Z, learned on pc-golden' -Direction Inbound -Action Allow -Program '%ProgramFiles(x86)%\100% & co\a^b!c (1).exe' -Protocol 'UDP' -LocalPort '5353' | Out-Null
# left out: wfplearn-6a13f2339fbb50b9b1dd8652fb3b6026 (C:\Tools\50%PATH%x\t.exe out): the app path holds %...%, which Windows Firewall would expand as a variable
# left out: wfplearn-6da566796ae55bcaa673e60c71851334 (\device\harddiskvolume9\x.exe out): the app is known only by its NT device path (no drive letter mapped)
New-NetFirewallRule @target -Name 'wfplearn-e85d9722331d509fb941275d5e0185e0' -DisplayName 'wfplearn: any app out TCP 443' -Group 'wfplearn' -Description 'allowed 105, blocked 1, flows 3, first seen 2026-11-16T00:00:00.0000000Z, last seen 2026-11-22T23:00:00.0000000Z, learned on pc-golden' -Direction Outbound -Action Allow -Protocol 'TCP' -RemotePort '443' -Package 'S-1-15-2-1111-2222-3333' | Out-Null
# left out: wfplearn-3b17624ac11c5251af494f9c14330826 (C:\Windows\System32\ping.exe out): ports on a protocol other than TCP or UDP (Windows Firewall takes ports only with TCP or UDP)
New-NetFirewallRule @target -Name 'wfplearn-4b2ccd47094157cb9ad836b0e54a959a' -DisplayName 'wfplearn: any app in TCP 3389' -Group 'wfplearn' -Description 'allowed 107, blocked 1, flows 3, first seen 2026-11-16T00:00:00.0000000Z, last seen 2026-11-22T23:00:00.0000000Z, learned on pc-golden' -Direction Inbound -Action Allow -Protocol 'TCP' -LocalPort '3389' -RemoteAddress '10.0.0.0/8','2001:db8::/32' | Out-Null
New-NetFirewallRule @target -Name 'wfplearn-667e3ff4f0685d4cafe84e5cee637387' -DisplayName 'wfplearn: svchost.exe out UDP 53' -Group 'wfplearn' -Description 'allowed 108, blocked 1, flows 3, first seen 2026-11-16T00:00:00.0000000Z, last seen 2026-11-22T23:00:00.0000000Z, learned on pc-golden' -Direction Outbound -Action Allow -Program '%SystemRoot%\System32\svchost.exe' -Protocol 'UDP' -RemotePort '53' -LocalUser 'O:LSD:(A;;CC;;;S-1-5-19)' | Out-Null

# ---- Opt-in: block outbound by default (the whitelist above becomes the only way
# out). Test on one machine first: anything not listed loses the network.
if ($BlockOutboundByDefault) {
  Set-NetFirewallProfile @target -Profile Domain,Private,Public -DefaultOutboundAction Block
}
if ($gpo) { Save-NetGPO -GPOSession $gpo }
