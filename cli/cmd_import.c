/* cmd_import.c — `wfplearn import`: load Windows logs people already have (Security-log WFP
 * events as JSON lines or Event XML, Windows Firewall's pfirewall.log) into the store, through
 * the importers of import/import.h. Every file is checked before the first one is read, so a
 * typo does not leave half an import. Bad records never stop it: they are counted, the first
 * few are printed with file and line, and a summary says what was read, imported, duplicate
 * and skipped (`--json`: one object on stdout). Progress goes to a terminal for big files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/wl_err.h"
#include "common/wl_os.h"
#include "store/store.h"
#include "import/import.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: wfplearn import --format secjson|evtxml|pfirewall [--json] [--dry-run]\n"
          "                       [--drive L=DEVICE]... [--utc-offset +HH:MM] FILE...\n"
          "\n"
          "Load recorded Windows logs into the store, as if they had been captured:\n"
          "  secjson    Security-log events 5152/5154/5156/5157/5158 as JSON lines (NXLog,\n"
          "             winlogbeat, Log Analytics and similar collectors)\n"
          "  evtxml     the same events as Event XML (wevtutil qe Security /f:xml)\n"
          "  pfirewall  Windows Firewall's pfirewall.log (no application is recorded there)\n"
          "Importing a file again adds nothing: records already stored count as duplicate.\n"
          "Other event ids and actions are counted as skipped; malformed records are skipped,\n"
          "counted and the first %d of each file printed with their line.\n"
          "\n"
          "  --format F          the files' format (required)\n"
          "  --json              print the summary as one JSON object: read, imported,\n"
          "                      duplicate, skipped, malformed, unsupported, events_lost\n"
          "  --dry-run           read and check only; nothing is written\n"
          "  --drive L=DEVICE    which volume is which drive on the machine that wrote the\n"
          "                      logs, e.g. C=\\device\\harddiskvolume2 (repeatable); app paths\n"
          "                      on other volumes stay NT device paths\n"
          "  --utc-offset +HH:MM zone of times written without one (pfirewall.log, some NXLog\n"
          "                      EventTime values); default: NXLog's own clues, else UTC\n"
          "\n"
          "example:\n"
          "  wfplearn --db week.db import --format evtxml --drive C=\\device\\harddiskvolume2 "
          "security.xml\n",
          WL_IMPORT_PROBLEMS_MAX);
}

typedef struct args {
  wl_import_opts o;
  wl_path_map map;
  int json, dry_run, nfiles;
  char **files;
} args;

static int digits(const char *p, size_t n, int *v) {
  *v = 0;
  for (size_t i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9')
      return -1;
    *v = *v * 10 + (p[i] - '0');
  }
  return 0;
}

/* "+05:45", "-04:00", "+0200", "+2", "Z", "UTC" → minutes east of UTC. */
static int parse_offset(const char *s, int *min) {
  if (strcmp(s, "Z") == 0 || strcmp(s, "UTC") == 0)
    return *min = 0, WL_OK;
  int sign = s[0] == '+' ? 1 : s[0] == '-' ? -1 : 0, h = 0, m = 0, bad = 1;
  const char *r = s + 1, *colon = strchr(r, ':');
  size_t len = strlen(r);
  if (!sign)
    bad = 1;
  else if (!colon && (len == 1 || len == 2))
    bad = digits(r, len, &h);
  else if (!colon && len == 4)
    bad = digits(r, 2, &h) || digits(r + 2, 2, &m);
  else if (colon && (colon - r == 1 || colon - r == 2) && strlen(colon + 1) == 2)
    bad = digits(r, (size_t)(colon - r), &h) || digits(colon + 1, 2, &m);
  if (bad || m > 59 || h * 60 + m > 14 * 60)
    return wl_err(WL_E_INVAL, "--utc-offset '%s': expected +HH:MM or -HH:MM within 14 hours", s);
  *min = sign * (h * 60 + m);
  return WL_OK;
}

static int parse_args(int argc, char **argv, args *a) {
  memset(a, 0, sizeof *a);
  wl_path_map_init(&a->map);
  a->o.paths = &a->map;
  a->files = calloc((size_t)argc, sizeof *a->files);
  if (!a->files)
    return wl_err(WL_E_NOMEM, "out of memory");
  for (int i = 1; i < argc; i++) {
    int missing = 0, rc = WL_OK;
    const char *v;
    if (strcmp(argv[i], "--json") == 0)
      a->json = 1;
    else if (strcmp(argv[i], "--dry-run") == 0)
      a->dry_run = 1;
    else if ((v = wl_cli_opt(argc, argv, &i, "--format", &missing)))
      rc = wl_import_format_parse(v, &a->o.format);
    else if ((v = wl_cli_opt(argc, argv, &i, "--drive", &missing)))
      rc = wl_path_map_add_spec(&a->map, v);
    else if ((v = wl_cli_opt(argc, argv, &i, "--utc-offset", &missing))) {
      rc = parse_offset(v, &a->o.utc_offset_min);
      a->o.utc_offset_set = 1;
    } else if (missing)
      return wl_err(WL_E_INVAL, "%s needs a value", argv[i]);
    else if (argv[i][0] == '-' && argv[i][1])
      return wl_err(WL_E_INVAL, "%s: unknown option (see wfplearn import --help)", argv[i]);
    else
      a->files[a->nfiles++] = argv[i];
    if (rc)
      return rc;
  }
  if (!a->o.format)
    return wl_err(WL_E_INVAL, "--format secjson|evtxml|pfirewall is required");
  if (!a->nfiles)
    return wl_err(WL_E_INVAL, "no FILE given (see wfplearn import --help)");
  return WL_OK;
}

/* Dry run: count what would be imported. */
static int count_only(void *ctx, const wl_import_rec *r) {
  (void)r;
  (*(uint64_t *)ctx)++;
  return WL_OK;
}

static void add_stats(wl_import_stats *t, const wl_import_stats *s) {
  t->read += s->read;
  t->delivered += s->delivered;
  t->imported += s->imported;
  t->duplicate += s->duplicate;
  t->skipped += s->skipped;
  t->malformed += s->malformed;
  t->unsupported += s->unsupported;
  t->events_lost += s->events_lost;
  t->lost_lines += s->lost_lines;
  t->bytes += s->bytes;
}

/* The first problems of one file, then how many more there were. */
static void print_problems(wl_cli *cli, int format, const char *file,
                           const wl_import_stats *st) {
  for (size_t i = 0; i < st->nproblems; i++)
    fprintf(cli->err, "%s\n", st->problems[i]);
  uint64_t all = st->malformed + st->notes;
  if (all > st->nproblems)
    fprintf(cli->err, "%s: ... and %llu more problem(s) not shown\n", file,
            (unsigned long long)(all - st->nproblems));
  if (st->read && !st->delivered && st->malformed)
    fprintf(cli->err, "%s: nothing could be imported: is --format %s right for this file?\n",
            file, wl_import_format_name(format));
}

static void print_summary(FILE *f, const char *what, const wl_import_stats *st, int dry_run) {
  fprintf(f, "%s: read %llu, %s %llu, duplicate %llu, skipped %llu", what,
          (unsigned long long)st->read, dry_run ? "importable" : "imported",
          (unsigned long long)(dry_run ? st->delivered : st->imported),
          (unsigned long long)st->duplicate, (unsigned long long)st->skipped);
  if (st->skipped)
    fprintf(f, " (malformed %llu, other events %llu)", (unsigned long long)st->malformed,
            (unsigned long long)st->unsupported);
  if (st->lost_lines)
    fprintf(f, "; the log says %llu events were lost", (unsigned long long)st->events_lost);
  fputc('\n', f);
}

static void print_json(FILE *f, const wl_import_stats *t, int nfiles, int dry_run) {
  fprintf(f,
          "{\"read\":%llu,\"imported\":%llu,\"duplicate\":%llu,\"skipped\":%llu,"
          "\"malformed\":%llu,\"unsupported\":%llu,\"events_lost\":%llu,\"files\":%d,"
          "\"dry_run\":%s}\n",
          (unsigned long long)t->read,
          (unsigned long long)(dry_run ? t->delivered : t->imported),
          (unsigned long long)t->duplicate, (unsigned long long)t->skipped,
          (unsigned long long)t->malformed, (unsigned long long)t->unsupported,
          (unsigned long long)t->events_lost, nfiles, dry_run ? "true" : "false");
}

static int check_files(const args *a) {
  for (int i = 0; i < a->nfiles; i++) {
    wl_file_id id;
    int rc = wl_os_file_id(a->files[i], &id);
    if (rc != WL_OK)
      return wl_err_prefix(rc, "cannot import %s", a->files[i]);
  }
  return WL_OK;
}

static int import_all(wl_cli *cli, const args *a, wl_store *s, wl_import_stats *total) {
  wl_import_opts o = a->o;
  o.progress = cli->is_tty ? cli->err : NULL;
  for (int i = 0; i < a->nfiles; i++) {
    wl_import_stats st;
    memset(&st, 0, sizeof st);
    uint64_t n = 0;
    int rc = s ? wl_import_to_store(s, &o, a->files[i], &st)
               : wl_import_file(&o, a->files[i], count_only, &n, &st);
    print_problems(cli, a->o.format, a->files[i], &st);
    add_stats(total, &st);
    if (rc != WL_OK)
      return rc;
    if (!a->json)
      print_summary(cli->out, a->files[i], &st, a->dry_run);
  }
  return WL_OK;
}

int wl_cmd_import(wl_cli *cli, int argc, char **argv) {
  if (wl_cli_wants_help(argc, argv)) {
    usage(cli->out);
    return WL_OK;
  }
  args a;
  wl_store *s = NULL;
  wl_import_stats total;
  memset(&total, 0, sizeof total);
  int rc = parse_args(argc, argv, &a);
  if (rc == WL_OK)
    rc = check_files(&a);
  if (rc == WL_OK && !a.dry_run)
    rc = wl_store_open(cli->db_path, NULL, &s);
  if (rc == WL_OK)
    rc = import_all(cli, &a, s, &total);
  if (rc == WL_OK && a.json)
    print_json(cli->out, &total, a.nfiles, a.dry_run);
  else if (rc == WL_OK && a.nfiles > 1)
    print_summary(cli->out, "total", &total, a.dry_run);
  wl_store_close(s);
  free(a.files);
  return rc;
}
