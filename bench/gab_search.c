/* gab_search.c — Global Address Book search on 10,000 users (server/gab.h).
 *
 *   bench_gab_search [N]      (default 10,000 users)
 *
 * Makes a fresh store with N users from a fixed seed, each with what
 * as_account_create makes (the user, the default folders, the entry of the
 * Global Address Book, in one transaction per batch) and personal data
 * shaped like a company directory: names from a dozen countries (a third
 * with diacritics), company, department, job title, one or two phone
 * numbers.  Users are written straight through the store, without Argon2id
 * (a fixed hash: these users cannot log in): `atriumd user add` spends
 * ~0.1 s per password, which 10,000 users do not need to measure search.
 *
 * Then for each of a set of typical queries (a surname with and without
 * its umlaut, first names, two words, a department, a phone prefix, an
 * e-mail, a short prefix, a miss), R timed runs each of:
 *
 *   fts        Contact/search as the protocol runs it (as_contact_search:
 *              the FTS5 index, access checks, the items as JSON), limit 20
 *   baseline   the same lookup by a plain scan: every word LIKE '%word%'
 *              on the same fields of every entry (SQLite's LIKE folds ASCII
 *              case only, so "muller" misses "Müller"), the first 20 rows
 *              read and turned into JSON the same way
 *
 * and prints the median and p95 latency of each, baseline/fts per query,
 * their geometric mean and the worst p95 of each.  The baseline is cheap
 * for broad queries (it stops at the first rows, unranked) and scans
 * everything for rare ones; Contact/search ranks up to AS_SEARCH_RANKED_MAX
 * matches, so its cost is bounded.  The machine is shared and noisy:
 * compare the ratios, not absolute times.  ATRIUM_KEEP_TMP=1 keeps the
 * database. */
#include <ftw.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "arena.h"
#include "gab.h"
#include "log.h"
#include "store.h"
#include "sync.h"

#define RUNS 40
#define WARMUP 3
#define LIMIT 20

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

#define PICK(a) (a)[rnd(sizeof(a) / sizeof((a)[0]))]

static const char *const firsts[] = {
	"Anna", "Thomas", "Maria", "Michael", "Julia", "Stefan", "Laura", "Andreas", "Sarah",
	"Peter", "Lisa", "Markus", "Emma", "Lukas", "Sophie", "David", "Martin", "Claire",
	"J\u00fcrgen", "J\u00f6rg", "Bj\u00f6rn", "Ren\u00e9e", "Fran\u00e7ois", "\u00c9lodie",
	"S\u00f8ren", "Zo\u00eb", "Jos\u00e9", "In\u00e9s", "\u0141ukasz", "Ma\u0142gorzata",
	"\u00d3lafur", "Ji\u0159\u00ed", "G\u00fcl", "\u00c5sa",
};
static const char *const lasts[] = {
	"Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
	"Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Neumann", "Schwarz", "Zimmermann",
	"Smith", "Jones", "Taylor", "Brown", "Martin", "Bernard", "Dubois", "Moreau", "Rossi",
	"M\u00fcller", "Sch\u00e4fer", "Kr\u00fcger", "K\u00f6nig", "Lef\u00e8vre", "Garc\u00eda",
	"N\u00fa\u00f1ez", "W\u00f3jcik", "\u00d8stergaard", "S\u00f6derstr\u00f6m",
	"Dvo\u0159\u00e1k", "\u00d6zt\u00fcrk", "Muller",
};
static const char *const companies[] = {
	"Atrium Holding", "Nordwind Logistik GmbH", "\u00c4rzte am Park", "Soci\u00e9t\u00e9 G\u00e9n\u00e9rale de Fret",
	"Blue Harbour Ltd", "Bergwerk Energie AG", "Caf\u00e9 Central", "Zentrum f\u00fcr Forschung",
};
static const char *const departments[] = {
	"Sales", "Finance", "Human Resources", "Engineering", "Support", "Marketing", "Legal",
	"Einkauf", "Vertrieb", "Qualit\u00e4t",
};
static const char *const titles[] = {
	"Manager", "Engineer", "Analyst", "Assistant", "Director", "Consultant", "Sachbearbeiter",
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *what, const at_error *err)
{
	fprintf(stderr, "bench_gab_search: %s: %s\n", what, err ? err->message : "failed");
	exit(1);
}

/* ASCII folding of a name for its e-mail address. */
static void mail_part(const char *in, char *out, size_t size)
{
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)in; *p && o + 1 < size; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
			out[o++] = (char)(*p | 0x20);
		else if (*p >= 0xC0)
			out[o++] = 'x';
	}
	out[o] = '\0';
}

static void make_users(as_store *s, unsigned n)
{
	static const char *const folders[] = {"Contacts", "Calendar", "Tasks"};
	static const at_module modules[] = {AT_MODULE_CONTACTS, AT_MODULE_CALENDAR,
					    AT_MODULE_TASKS};
	at_arena *a = at_arena_new(0);
	at_error err;
	for (unsigned i = 0; i < n; i++) {
		if (i % 500 == 0 && s->ops->begin(s, true, &err) < 0)
			die("begin", &err);
		const char *first = PICK(firsts), *last = PICK(lasts);
		char f[64], l[64];
		mail_part(first, f, sizeof(f));
		mail_part(last, l, sizeof(l));
		as_user *u = at_arena_alloc(a, sizeof(*u));
		u->id = as_new_id(a);
		u->login = at_arena_printf(a, "%s.%s%u", f, l, i);
		u->name = at_arena_printf(a, "%s %s", first, last);
		u->email = at_arena_printf(a, "%s.%s%u@example.com", f, l, i);
		u->pw_hash = "$argon2id$bench-users-cannot-log-in";
		u->created = 1700000000;
		if (s->ops->user_add(s, u, &err) < 0)
			die("user_add", &err);
		for (int k = 0; k < 3; k++) {
			as_folder fo = {.id = as_new_id(a), .owner_id = u->id, .name = folders[k],
					.module = modules[k], .type = AT_FOLDER_PRIVATE,
					.is_default = true};
			if (s->ops->folder_add(s, &fo, &err) < 0)
				die("folder_add", &err);
		}
		if (as_gab_user_entry(s, a, u, &err) < 0)
			die("entry", &err);
		/* the personal data, as Account/setPersonalData would add it */
		const char *item_id;
		as_item it = {0};
		bool found;
		int64_t modseq;
		if (s->ops->directory_entry_get(s, u->id, a, &item_id, &err) < 0 ||
		    s->ops->item_get(s, item_id, a, &it, &found, &err) < 0 || !found ||
		    s->ops->tx_modseq(s, &modseq, &err) < 0)
			die("read entry", &err);
		json_object_set_new(it.fields, "firstName", json_string(first));
		json_object_set_new(it.fields, "lastName", json_string(last));
		json_object_set_new(it.fields, "company", json_string(PICK(companies)));
		json_object_set_new(it.fields, "department", json_string(PICK(departments)));
		json_object_set_new(it.fields, "jobTitle", json_string(PICK(titles)));
		json_object_set_new(it.fields, "phoneBusiness",
				    json_string(at_arena_printf(a, "+49 30 %04u-%03u", rnd(10000),
								rnd(1000))));
		if (rnd(2) == 0)
			json_object_set_new(it.fields, "phoneMobile",
					    json_string(at_arena_printf(a, "0171 %03u %04u",
									rnd(1000), rnd(10000))));
		const char *k;
		json_t *v;
		json_object_foreach(it.fields, k, v)
			json_object_set_new(it.field_versions, k, json_integer(modseq));
		if (s->ops->item_put(s, &it, false, &err) < 0)
			die("item_put", &err);
		as_item_clear(&it);
		if ((i % 500 == 499 || i == n - 1) && s->ops->commit(s, &err) < 0)
			die("commit", &err);
		if (i % 500 == 499)
			at_arena_reset(a);
	}
	at_arena_free(&a);
}

/* --- the baseline: a LIKE scan ------------------------------------------------------- */

#define TEXT_OF_ENTRY \
	"ifnull(json_extract(fields, '$.displayName'), '') || ' ' ||" \
	" ifnull(json_extract(fields, '$.firstName'), '') || ' ' ||" \
	" ifnull(json_extract(fields, '$.lastName'), '') || ' ' ||" \
	" ifnull(json_extract(fields, '$.email1'), '') || ' ' ||" \
	" ifnull(json_extract(fields, '$.company'), '') || ' ' ||" \
	" ifnull(json_extract(fields, '$.department'), '') || ' ' ||" \
	" ifnull(json_extract(fields, '$.phoneBusiness'), '') || ' ' ||" \
	" ifnull(json_extract(fields, '$.phoneMobile'), '')"

typedef struct baseline {
	sqlite3 *db;
	sqlite3_stmt *st[AS_SEARCH_WORDS_MAX + 1];   /* by number of words */
} baseline;

static size_t like_search(baseline *b, const char *const *words, size_t n)
{
	if (b->st[n] == NULL) {
		char sql[4096];
		int o = snprintf(sql, sizeof(sql), "SELECT id, folder_id, type, created_by, version,"
				 " fields FROM items WHERE folder_id = '%s'", AS_GAB_FOLDER_ID);
		for (size_t i = 0; i < n; i++)
			o += snprintf(sql + o, sizeof(sql) - (size_t)o, " AND (" TEXT_OF_ENTRY
				      ") LIKE ?%zu", i + 1);
		snprintf(sql + o, sizeof(sql) - (size_t)o, " LIMIT %d", LIMIT + 1);
		if (sqlite3_prepare_v2(b->db, sql, -1, &b->st[n], NULL) != SQLITE_OK) {
			fprintf(stderr, "baseline: %s\n", sqlite3_errmsg(b->db));
			exit(1);
		}
	}
	sqlite3_stmt *st = b->st[n];
	char pat[AS_SEARCH_QUERY_MAX + 3];
	for (size_t i = 0; i < n; i++) {
		snprintf(pat, sizeof(pat), "%%%s%%", words[i]);
		sqlite3_bind_text(st, (int)i + 1, pat, -1, SQLITE_TRANSIENT);
	}
	json_t *items = json_array();
	size_t found = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (found++ == LIMIT)
			break;  /* one more than the limit: more exist */
		json_t *fields = json_loads((const char *)sqlite3_column_text(st, 5), 0, NULL);
		json_array_append_new(items, json_pack(
			"{s:s,s:s,s:s,s:I,s:s,s:o}", "id", sqlite3_column_text(st, 0),
			"folderId", sqlite3_column_text(st, 1), "type", sqlite3_column_text(st, 2),
			"version", (json_int_t)sqlite3_column_int64(st, 4),
			"createdBy", sqlite3_column_text(st, 3), "fields", fields));
	}
	sqlite3_reset(st);
	json_decref(items);
	return found > LIMIT ? LIMIT : found;
}

/* --- timing ------------------------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	int i = (int)(p * (n - 1) + 0.5);
	return v[i];
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 10000;
	if (n < 1 || n > 1000000) {
		fprintf(stderr, "usage: bench_gab_search [USERS]\n");
		return 2;
	}
	at_log_set_level(AT_LOG_WARN);
	char dir[256];
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/atrium-bench-gab-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	at_error err;
	as_store *s = as_store_open_sqlite(dir, &err);
	if (s == NULL)
		die("open", &err);

	double t0 = now_ms();
	make_users(s, n);
	double made = now_ms() - t0;
	char path[512];
	snprintf(path, sizeof(path), "%s/atrium.db", dir);
	sqlite3 *probe;
	sqlite3_open_v2(path, &probe, SQLITE_OPEN_READONLY, NULL);
	sqlite3_stmt *st;
	sqlite3_prepare_v2(probe, "SELECT (SELECT count(*) FROM items WHERE folder_id = 'gab'),"
			   " (SELECT count(*) FROM contact_fts)", -1, &st, NULL);
	sqlite3_step(st);
	printf("gab-search: %u users made through the store in %.1f s (%.0f users/s, one "
	       "transaction per 500); %d entries, %d indexed\n", n, made / 1e3,
	       n / (made / 1e3), sqlite3_column_int(st, 0), sqlite3_column_int(st, 1));
	sqlite3_finalize(st);
	sqlite3_close(probe);

	/* the asking user: the first one made */
	as_user me;
	bool found;
	at_arena *a = at_arena_new(0);
	sqlite3_open_v2(path, &probe, SQLITE_OPEN_READONLY, NULL);
	sqlite3_prepare_v2(probe, "SELECT login FROM users LIMIT 1", -1, &st, NULL);
	sqlite3_step(st);
	char *login = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(probe);
	if (s->ops->begin(s, false, &err) < 0 ||
	    s->ops->user_get_by_login(s, login, a, &me, &found, &err) < 0 || !found)
		die("user", &err);
	s->ops->rollback(s);
	free(login);

	baseline b = {0};
	if (sqlite3_open_v2(path, &b.db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		die("baseline open", NULL);

	static const char *const queries[] = {
		"m\u00fcller", "muller", "J\u00fcrgen", "anna schmidt", "sch", "vertrieb",
		"+49 30 12", "0171", "lefevre", "\u00d8stergaard", "example.com", "zzyzx",
	};
	printf("\n%-16s %7s %7s | %9s %9s | %9s %9s | %7s\n", "query", "found", "(like)",
	       "fts p50", "fts p95", "like p50", "like p95", "like/fts");
	double log_ratio = 0, worst_fts = 0, worst_like = 0;
	at_arena *ra = at_arena_new(0);
	for (size_t q = 0; q < sizeof(queries) / sizeof(queries[0]); q++) {
		double fts[RUNS], like[RUNS];
		size_t n_fts = 0, n_like = 0;
		const char **words;
		size_t n_words;
		if (as_search_words(a, queries[q], &words, &n_words, &err) < 0)
			die("words", &err);
		for (int r = -WARMUP; r < RUNS; r++) {
			at_arena_reset(ra);
			as_ctx ctx = {.store = s, .arena = ra, .user = &me};
			json_t *args = json_pack("{s:s,s:i}", "query", queries[q], "limit", LIMIT);
			double t = now_ms();
			json_t *res = as_contact_search(&ctx, args, &err);
			double dt = now_ms() - t;
			if (res == NULL)
				die(queries[q], &err);
			n_fts = json_array_size(json_object_get(res, "items"));
			json_decref(res);
			json_decref(args);
			t = now_ms();
			n_like = like_search(&b, words, n_words);
			double dl = now_ms() - t;
			if (r >= 0) {
				fts[r] = dt;
				like[r] = dl;
			}
		}
		double f50 = pct(fts, RUNS, 0.5), f95 = pct(fts, RUNS, 0.95);
		double l50 = pct(like, RUNS, 0.5), l95 = pct(like, RUNS, 0.95);
		log_ratio += log(l50 / f50);
		worst_fts = f95 > worst_fts ? f95 : worst_fts;
		worst_like = l95 > worst_like ? l95 : worst_like;
		printf("%-16s %7zu %7zu | %7.3fms %7.3fms | %7.3fms %7.3fms | %6.1fx\n",
		       queries[q], n_fts, n_like, f50, f95, l50, l95, l50 / f50);
	}
	size_t nq = sizeof(queries) / sizeof(queries[0]);
	printf("\nlike/fts, geometric mean of the medians: %.1fx; worst p95: fts %.1f ms, "
	       "like %.1f ms\n(found: items returned, at most %d.  LIKE stops at the first %d "
	       "rows, unranked, so broad queries are cheap for it; it scans every entry for "
	       "rare ones, and folds no diacritics: \"lefevre\" misses \"Lef\u00e8vre\".  "
	       "Contact/search ranks up to %d matches.)\n",
	       exp(log_ratio / (double)nq), worst_fts, worst_like, LIMIT, LIMIT + 1,
	       AS_SEARCH_RANKED_MAX);
	for (size_t i = 0; i <= AS_SEARCH_WORDS_MAX; i++)
		sqlite3_finalize(b.st[i]);
	sqlite3_close(b.db);
	at_arena_free(&ra);
	at_arena_free(&a);
	as_store_close(&s);
	if (getenv("ATRIUM_KEEP_TMP") == NULL)
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	else
		fprintf(stderr, "kept %s\n", dir);
	return 0;
}
