/* fleet_parse.h — read back what fleet/ writes, for the tests and the fuzz target: PowerShell
 * cannot run here and cmd neither, so these parse a New-NetFirewallRule line and a netsh
 * add-rule line the way PowerShell and cmd + netsh would, and say when a line is not well
 * formed (an unterminated string, a lone % that cmd would expand, a quote escaped by a
 * backslash). Test-only code: never linked into the product.
 */
#ifndef WL_TEST_FLEET_PARSE_H
#define WL_TEST_FLEET_PARSE_H

#include <stddef.h>

/* The value of -PARAM on a "New-NetFirewallRule @target ... | Out-Null" line: a single-quoted
 * string (quotes, including U+2018..U+201B, undoubled), a list of them joined by ',', or a bare
 * word; "" when absent. 0, or -1 when the line is malformed. */
int fleet_parse_ps(const char *line, const char *param, char *out, size_t cap);
/* The value of KEY="..." (or KEY=word) on a "netsh advfirewall firewall ..." line, read key by
 * key as netsh splits its arguments, after cmd: %% read as %, 2k backslashes before the closing
 * quote as k; "" when absent. 0, or -1 when any value holds a lone %, an odd run of backslashes
 * before its closing quote, or does not end at a space. */
int fleet_parse_netsh(const char *line, const char *key, char *out, size_t cap);

#endif
