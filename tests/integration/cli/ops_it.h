/* ops_it.h: what the operations tests (test_ops.c, long_ops_*.c) share: extra PostgreSQL
 * clusters started with scripts/pg.sh (as its unprivileged user when run as root), one-value
 * queries that must succeed, and fingerprints of whole tables for byte-for-byte comparisons. */
#ifndef OPS_IT_H
#define OPS_IT_H

#include <dirent.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"

/* Start (creating on first use) a throwaway cluster in $IT_TMP/name; its connection string
 * to database db goes to url. Aborts the test on failure. */
static inline void ops_cluster_start(const char *name, const char *db, char *url, size_t cap)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "scripts/pg.sh start '%s/%s' --fast", getenv("IT_TMP"), name);
    if (system(cmd) != 0) {
        fprintf(stderr, "ops_it: %s failed\n", cmd);
        exit(2);
    }
    snprintf(url, cap, "host=%s/%s/run dbname=%s user=iscgobs", getenv("IT_TMP"), name, db);
}

static inline void ops_cluster_stop(const char *name)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "scripts/pg.sh stop '%s/%s'", getenv("IT_TMP"), name);
    if (system(cmd) != 0)
        fprintf(stderr, "ops_it: %s failed\n", cmd);
}

/* Start (creating on first use with pg_basebackup -R) a streaming hot standby in
 * $IT_TMP/name of the cluster $IT_TMP/primary (started by ops_cluster_start); its connection
 * string to database db goes to url. Stop it with ops_cluster_stop(name). */
static inline void ops_standby_start(const char *primary, const char *name, const char *db,
                                     char *url, size_t cap)
{
    char cmd[1600];
    snprintf(cmd, sizeof cmd, "scripts/pg.sh replica '%s/%s' '%s/%s' --fast", getenv("IT_TMP"),
             name, getenv("IT_TMP"), primary);
    if (system(cmd) != 0) {
        fprintf(stderr, "ops_it: %s failed\n", cmd);
        exit(2);
    }
    snprintf(url, cap, "host=%s/%s/run dbname=%s user=iscgobs", getenv("IT_TMP"), name, db);
}

/* Move the demo grids (demo/grids/<post>_<YYYY-MM>.<ext>) whose month m makes moves(m) true
 * into the folder dest (created). Returns how many moved; aborts when a move fails. */
static inline int ops_move_grids(const char *demo, const char *dest, int (*moves)(int month))
{
    char grids[760];
    snprintf(grids, sizeof grids, "%s/grids", demo);
    mkdir(dest, 0700);
    DIR *d = opendir(grids);
    if (d == NULL) {
        fprintf(stderr, "ops_it: cannot open %s\n", grids);
        exit(2);
    }
    struct dirent *de;
    int moved = 0;
    while ((de = readdir(d)) != NULL) {
        const char *us = strchr(de->d_name, '_');
        if (us == NULL || strlen(us) < 8 || !moves((int)strtol(us + 6, NULL, 10)))
            continue;
        char from[1100], to[1100];
        snprintf(from, sizeof from, "%s/%s", grids, de->d_name);
        snprintf(to, sizeof to, "%s/%s", dest, de->d_name);
        if (rename(from, to) != 0) {
            fprintf(stderr, "ops_it: cannot move %s\n", from);
            exit(2);
        }
        moved++;
    }
    closedir(d);
    return moved;
}

/* Run sql (commands, no rows wanted); aborts when it fails. */
static inline void ops_sql(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "ops_it: %s: %s\n", sql, PQerrorMessage(c));
        exit(2);
    }
    PQclear(r);
}

/* The MD5 of every row of `table` (as text, sorted) where `where` holds, and their count
 * into out ("count:md5"). Equal outputs = equal contents, byte for byte. */
static inline void ops_table_digest(PGconn *c, const char *table, const char *where, char *out,
                                    size_t cap)
{
    char sql[600];
    snprintf(sql, sizeof sql,
             "SELECT count(*) || ':' || md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))"
             " FROM %s t WHERE %s", table, where ? where : "true");
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "ops_it: %s: %s\n", sql, PQerrorMessage(c));
        exit(2);
    }
    snprintf(out, cap, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
}

/* Blank what lies between the first `from` of body and the next `to` after it. */
static inline void ops_mask(char *body, const char *from, const char *to)
{
    char *p = strstr(body, from);
    char *q = p ? strstr(p + strlen(from), to) : NULL;
    for (p = p ? p + strlen(from) : NULL; p && q && p < q; p++)
        *p = '-';
}

/* GET path on server s with token (NULL: anonymous); fails the test unless 200. Returns the
 * body (free() it) with the time it was made masked (the SDMX message's <message:Prepared>,
 * an HTML page's "Page produite le ..."), so that two answers of the same data compare equal
 * byte for byte. */
static inline char *ops_get(const it_server *s, const char *path, const char *token)
{
    it_resp r;
    it_http(s, "GET", path, token, NULL, NULL, 0, &r);
    if (r.status != 200) {
        fprintf(stderr, "ops_it: GET %s%s: %ld %s\n", s->base, path, r.status,
                r.body ? r.body : "");
        exit(2);
    }
    ops_mask(r.body, "<message:Prepared>", "</message:Prepared>");
    ops_mask(r.body, "Page produite le ", " par le service");
    return r.body;
}

/* The number of lines of server s's log that contain needle. */
static inline int ops_log_count(const it_server *s, const char *needle)
{
    FILE *f = fopen(s->log_path, "r");
    char line[2048];
    int n = 0;
    while (f && fgets(line, sizeof line, f))
        n += strstr(line, needle) != NULL;
    if (f)
        fclose(f);
    return n;
}

#endif
