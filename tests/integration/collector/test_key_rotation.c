/* test_key_rotation.c: key rotation keeps the counts (docs/privacy.md, "Key rotation"), real
 * servers and PostgreSQL. One demonstration year is uploaded twice, into two databases with
 * keys of their own: once plainly; once with `iscgobs key rotate` between the two halves of
 * the year, and again while the second half is being uploaded over concurrent connections.
 * The stored indicators of the two databases are then equal row for row (each person still
 * counted once, not new again), no upload was lost (every grid with exactly its rows, every
 * contact on the current key), and the oldest key file of the rotated database matches no
 * stored pseudonym. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "keyring.h"
#include "ops_it.h"
#include "pseudonym.h"

static it_server A, B; /* A: no rotation; B: two rotations */
static char tok_a[80], tok_b[80];
static char demo[700], later[700];

static const char IND[] = "(SELECT area, period, mesure, sexe, age, statut, origine, problematique,"
                          " partenaire, mode, lvl, freq, pstart, num, den, value, nposts, obs_status"
                          " FROM indicator_now)";

static int second_half(int m)
{
    return m >= 7;
}

static int upload(const it_server *s, const char *tok, const char *dir)
{
    return it_cli(s, NULL, 0, (const char *const[]){"upload", dir, "--url", s->base, "--token", tok,
                                                    "--jobs", "4", NULL});
}

static void start(it_server *s, const char *name, char *tok, const char *csv)
{
    it_setup(s, name);
    it_user_add(s, "admin", NULL, tok);
    assert_int_equal(it_cli(s, NULL, 0, (const char *const[]){"post", "import", csv, NULL}), 0);
    it_start(s, NULL);
}

static int setup(void **state)
{
    (void)state;
    int year;
    it_today(&year, NULL);
    char ys[16], csv[760];
    snprintf(ys, sizeof ys, "%d", year - 1);
    it_setup(&A, "it_rotation_plain");
    snprintf(demo, sizeof demo, "%s/demo", A.dir);
    snprintf(later, sizeof later, "%s/later", A.dir);
    snprintf(csv, sizeof csv, "%s/posts.csv", demo);
    assert_int_equal(it_cli(&A, NULL, 0, (const char *const[]){"demo", "--out", demo, "--posts", "8",
                                                               "--year", ys, "--seed", "3", NULL}), 0);
    start(&A, "it_rotation_plain", tok_a, csv);
    start(&B, "it_rotation", tok_b, csv);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    it_stop_checked(&A);
    it_stop_checked(&B);
    return 0;
}

/* A person of the first half as folded (grid-format.md section 5): the first reference of
 * a CSV grid made of ASCII letters and single spaces, lower-cased, with its post. */
static void simple_reference(char post[32], char ref[128])
{
    char grids[760], line[1024];
    snprintf(grids, sizeof grids, "%s/grids", demo);
    DIR *d = opendir(grids);
    assert_non_null(d);
    struct dirent *de;
    ref[0] = '\0';
    while (!ref[0] && (de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 4, ".csv") != 0)
            continue;
        char path[1100];
        snprintf(path, sizeof path, "%s/%s", grids, de->d_name);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        while (!ref[0] && fgets(line, sizeof line, f)) {
            char *p = strchr(line, ';'), *q = p ? strchr(p + 1, ';') : NULL;
            if (q == NULL || q - p < 4 || q - p > 100 || strstr(p, "  ") || p[1] == ' ' || q[-1] == ' ')
                continue;
            int ok = 1;
            for (char *c = p + 1; c < q && ok; c++)
                ok = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || *c == ' ';
            if (!ok || strncmp(line, "date_contact", 12) == 0)
                continue;
            size_t k = 0;
            for (char *c = p + 1; c < q; c++)
                ref[k++] = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
            ref[k] = '\0';
            snprintf(post, 32, "%.*s", (int)(strchr(de->d_name, '_') - de->d_name), de->d_name);
        }
        fclose(f);
    }
    closedir(d);
    assert_true(ref[0] != '\0');
}

/* How many contact rows hold the pseudonym of (post, ref) under the key chain ring. */
static long stored_as(PGconn *c, const obs_keyring *ring, const char *post, const char *ref)
{
    uint8_t p[16];
    char hex[33], sql[200];
    assert_int_equal(col_pseudonym_chain(ring, post, ref, p), OBS_OK);
    obs_hex(p, 16, hex);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM contact WHERE person = '\\x%s'", hex);
    return it_sql_long(c, sql);
}

/* Replace B's key file by these bytes (mode 0600, as the service's). */
static void write_key_file(const char *bytes, size_t len)
{
    FILE *f = fopen(B.key_path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(B.key_path, 0600), 0);
}

/* A small grid of one person, PUT for post and month of this year; the HTTP status. */
static long put_one(const char *post, int year, int month)
{
    char path[160], csv[400];
    snprintf(path, sizeof path, "/api/v1/grids/%s/%04d-%02d", post, year, month);
    snprintf(csv, sizeof csv,
             "date_contact;ref_personne;date_naissance;sexe;code_postal;statut;origine;"
             "connu_ss;problematiques;orientations;mode;commentaire\n"
             "%04d-%02d-03;Pending Personne;;F;;VICTIME;BPF;NON;VIOL_CONJ;;BUREAU;\n",
             year, month);
    it_resp r;
    it_http(&B, "PUT", path, tok_b, "text/csv", csv, strlen(csv), &r);
    long st = r.status;
    it_resp_free(&r);
    return st;
}

static void test_rotation_keeps_the_counts(void **state)
{
    (void)state;
    PGconn *b = it_db(&B);
    /* A: the whole year, no rotation */
    assert_int_equal(upload(&A, tok_a, demo), 0);
    /* B: the first half, a rotation, the second half with a rotation during it */
    assert_true(ops_move_grids(demo, later, second_half) > 0);
    char cmd[1600]; /* the simulated reception dates go with the second half too */
    snprintf(cmd, sizeof cmd, "cp '%s/manifest.csv' '%s/'", demo, later);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(upload(&B, tok_b, demo), 0);
    obs_keyring first;
    obs_err e;
    assert_int_equal(obs_keyring_load(B.key_path, &first, &e), OBS_OK);
    assert_int_equal(it_cli(&B, NULL, 0, (const char *const[]){"key", "rotate", NULL}), 0);
    long grids0 = it_sql_long(b, "SELECT count(*) FROM grid");
    pid_t up = fork();
    if (up == 0)
        _exit(upload(&B, tok_b, later));
    for (int i = 0; i < 600 && it_sql_long(b, "SELECT count(*) FROM grid") < grids0 + 4; i++)
        usleep(20000);
    assert_int_equal(it_cli(&B, NULL, 0, (const char *const[]){"key", "rotate", NULL}), 0);
    long during = it_sql_long(b, "SELECT count(*) FROM grid");
    int st = 0;
    waitpid(up, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    long total = it_sql_long(b, "SELECT count(*) FROM grid");
    print_message("grids: %ld before the second rotation, %ld when it ended, %ld in all\n", grids0,
                  during, total);
    /* the uploads did overlap it: some stored after it, some reloaded the keys for it */
    assert_true(during < total);
    assert_true(ops_log_count(&B, "key.loaded") >= 3); /* start, then once per rotation */
    /* nothing lost: every grid whole, on the current key, both rotations audited */
    PGconn *a = it_db(&A);
    assert_int_equal(total, it_sql_long(a, "SELECT count(*) FROM grid"));
    assert_int_equal(it_sql_long(b, "SELECT count(*) FROM contact"),
                     it_sql_long(a, "SELECT count(*) FROM contact"));
    assert_int_equal(it_sql_long(b, "SELECT count(*) FROM grid g WHERE rows <> (SELECT count(*)"
                                    " FROM contact c WHERE c.post = g.post AND c.period = g.period)"), 0);
    assert_int_equal(it_sql_long(b, "SELECT count(*) FROM contact WHERE key_id <>"
                                    " (SELECT id FROM pseudonym_key WHERE retired_at IS NULL)"), 0);
    assert_int_equal(it_sql_long(b, "SELECT count(*) FROM audit_log WHERE action = 'key.rotate'"), 2);
    /* the same indicators, row for row, as without rotation */
    char da[80], db[80];
    ops_table_digest(a, IND, NULL, da, sizeof da);
    ops_table_digest(b, IND, NULL, db, sizeof db);
    assert_string_equal(da, db);
    assert_int_equal(it_cli(&B, NULL, 0, (const char *const[]){"aggregate", NULL}), 0);
    ops_table_digest(b, IND, NULL, db, sizeof db);
    assert_string_equal(da, db);
    /* the persons too: as many distinct per post as without rotation */
    static const char PERSONS[] = "SELECT count(*) FROM (SELECT DISTINCT post, person FROM contact) t";
    assert_int_equal(it_sql_long(b, PERSONS), it_sql_long(a, PERSONS));
    /* the first key file, with every reference of the year, matches no stored pseudonym:
     * its pseudonyms are those of the file's chain, none of which is stored any more */
    obs_keyring now;
    assert_int_equal(obs_keyring_load(B.key_path, &now, &e), OBS_OK);
    assert_int_equal(now.n, first.n + 2);
    char post[32], ref[128];
    simple_reference(post, ref);
    assert_int_equal(stored_as(b, &first, post, ref), 0);
    assert_true(stored_as(b, &now, post, ref) >= 1);
    print_message("indicators %s in both databases\n", da);
    obs_keyring_wipe(&first);
    obs_keyring_wipe(&now);
    PQfinish(a);
    PQfinish(b);
}

/* Two `key rotate` at once run one after the other; a file one key ahead of the database
 * (a rotation stopped before its transaction) is served with the database's chain, and the
 * next `key rotate` finishes that rotation; `key list` shows ids and dates, no key bytes. */
static void test_concurrent_and_stopped_rotations(void **state)
{
    (void)state;
    PGconn *a = it_db(&A), *b = it_db(&B);
    obs_keyring ring;
    obs_err e;
    assert_int_equal(obs_keyring_load(B.key_path, &ring, &e), OBS_OK);
    size_t n0 = ring.n;
    long audits = it_sql_long(b, "SELECT count(*) FROM audit_log WHERE action = 'key.rotate'");
    /* the test holds the lifecycle guard until both rotations wait for it: they overlap */
    PGconn *g = it_db(&B);
    PQclear(PQexec(g, "SELECT pg_advisory_lock(72460, 0)"));
    pid_t p[2];
    for (int i = 0; i < 2; i++)
        if ((p[i] = fork()) == 0)
            _exit(it_cli(&B, NULL, 0, (const char *const[]){"key", "rotate", NULL}));
    long waiters = 0;
    for (int i = 0; i < 300 && waiters < 2; i++) {
        waiters = it_sql_long(b, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                                 " AND classid = 72460 AND objid = 0 AND NOT granted");
        if (waiters < 2)
            usleep(50 * 1000);
    }
    assert_int_equal(waiters, 2);
    PQclear(PQexec(g, "SELECT pg_advisory_unlock(72460, 0)"));
    PQfinish(g);
    for (int i = 0; i < 2; i++) {
        int st = 0;
        waitpid(p[i], &st, 0);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    assert_int_equal(obs_keyring_load(B.key_path, &ring, &e), OBS_OK);
    assert_int_equal(ring.n, n0 + 2);
    assert_int_equal(it_sql_long(b, "SELECT count(*) FROM audit_log WHERE action = 'key.rotate'"),
                     audits + 2);
    assert_int_equal(it_sql_long(b, "SELECT count(*) FROM pseudonym_key"), (long)ring.n);
    assert_int_equal(it_sql_long(b, "SELECT count(*) FROM contact WHERE key_id <>"
                                    " (SELECT id FROM pseudonym_key WHERE retired_at IS NULL)"), 0);
    char da[80], db[80];
    ops_table_digest(a, IND, NULL, da, sizeof da);
    ops_table_digest(b, IND, NULL, db, sizeof db);
    assert_string_equal(da, db);

    /* a rotation stopped after the file: the server restarts on it and stores with the
     * database's chain (the file's without its last key) */
    assert_int_equal(obs_keyring_append(B.key_path, &ring, &e), OBS_OK);
    it_stop_checked(&B);
    it_start(&B, NULL);
    assert_true(ops_log_count(&B, "key.pending") >= 1);
    char post[32], ref[128];
    simple_reference(post, ref);
    int year;
    it_today(&year, NULL);
    assert_int_equal(put_one(post, year, 1), 201);
    obs_keyring db_chain = ring;
    db_chain.n--;
    assert_int_equal(stored_as(b, &db_chain, post, "pending personne"), 1);
    assert_int_equal(stored_as(b, &ring, post, "pending personne"), 0);
    assert_int_equal(it_cli(&B, NULL, 0, (const char *const[]){"key", "rotate", NULL}), 0);
    obs_keyring now;
    assert_int_equal(obs_keyring_load(B.key_path, &now, &e), OBS_OK);
    assert_int_equal(now.n, ring.n); /* finished, not one more */
    assert_int_equal(stored_as(b, &now, post, "pending personne"), 1);
    assert_int_equal(stored_as(b, &db_chain, post, "pending personne"), 0);
    assert_int_equal(put_one(post, year, 2), 201);
    assert_int_equal(stored_as(b, &now, post, "pending personne"), 2); /* one person, twice */

    /* key list: one line per key, ids and UTC dates, the current one last, no key bytes */
    char out[8192], hex[2 * OBS_KEY_LEN + 1];
    assert_int_equal(it_cli(&B, out, sizeof out, (const char *const[]){"key", "list", NULL}), 0);
    int lines = 0, current = 0;
    for (char *l = strchr(out, '\n'); l && l[1]; l = strchr(l + 1, '\n')) {
        int id = 0;
        char fp[32], made[32], retired[32], state_[32];
        assert_int_equal(sscanf(l + 1, "%d\t%31s\t%31s\t%31s\t%31s", &id, fp, made, retired,
                                state_), 5);
        lines++;
        assert_int_equal(strlen(made), 20); /* YYYY-MM-DDTHH:MM:SSZ */
        assert_int_equal(made[10], 'T');
        if (strcmp(state_, "courante") == 0) {
            current++;
            assert_string_equal(retired, "-");
        } else {
            assert_int_equal(strlen(retired), 20);
            assert_true(strcmp(retired, made) >= 0);
        }
    }
    assert_int_equal(lines, (int)now.n);
    assert_int_equal(current, 1);
    for (size_t i = 0; i < now.n; i++) {
        obs_hex(now.keys[i].secret, 8, hex);
        assert_null(strstr(out, hex));
    }
    /* refused before anything is written: an old copy of the file (its last key retired),
     * and a file whose current key is right but an older one is not (the chain differs) */
    size_t len = 0;
    char *kept = it_read_file(B.key_path, &len);
    assert_non_null(kept);
    assert_int_equal(len, now.n * OBS_KEY_LEN);
    long keys = it_sql_long(b, "SELECT count(*) FROM pseudonym_key");
    for (int bad = 0; bad < 2; bad++) {
        kept[0] ^= (char)bad; /* 1: the first key altered */
        write_key_file(kept, bad ? len : len - OBS_KEY_LEN);
        kept[0] ^= (char)bad;
        assert_int_equal(it_cli(&B, NULL, 0, (const char *const[]){"key", "rotate", NULL}), 1);
        size_t after = 0;
        free(it_read_file(B.key_path, &after));
        assert_int_equal(after, bad ? len : len - OBS_KEY_LEN);
        assert_int_equal(it_sql_long(b, "SELECT count(*) FROM pseudonym_key"), keys);
    }
    write_key_file(kept, len);
    free(kept);
    obs_keyring_wipe(&ring);
    obs_keyring_wipe(&db_chain);
    obs_keyring_wipe(&now);
    PQfinish(a);
    PQfinish(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rotation_keeps_the_counts),
        cmocka_unit_test(test_concurrent_and_stopped_rotations),
    };
    int failed = cmocka_run_group_tests_name("integration_key_rotation", tests, setup, teardown);
    return failed || it_stop_failures;
}
