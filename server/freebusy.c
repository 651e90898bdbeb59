/* freebusy.c — see freebusy.h. */
#include "freebusy.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "appointment.h"
#include "log.h"
#include "model.h"
#include "protocol.h"
#include "recur.h"

/* show-as levels; 0 = free (left out) */
enum { FB_FREE = 0, FB_TENTATIVE, FB_BUSY, FB_OOF, FB_LEVELS };
static const char *const level_names[FB_LEVELS] = {"free", "tentative", "busy", "outOfOffice"};

static int level_of(const char *show_as)
{
	if (show_as == NULL)
		return FB_BUSY;
	for (int i = 0; i < FB_LEVELS; i++)
		if (strcmp(show_as, level_names[i]) == 0)
			return i;
	return FB_BUSY;
}

typedef struct span {
	int64_t start, end;
	int level;
} span;

typedef struct spans {
	span *v;
	size_t n, cap;
} spans;

static void spans_push(spans *s, int64_t start, int64_t end, int level)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (s->v == NULL)
			abort();
	}
	s->v[s->n++] = (span){start, end, level};
}

static void format_utc(int64_t t, char buf[AT_DATETIME_SIZE])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, AT_DATETIME_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int instant_arg(json_t *args, const char *name, int64_t *t_r, at_error *err)
{
	const char *s = json_string_value(json_object_get(args, name));
	at_recur_time t;
	if (s == NULL || at_model_datetime_parse(s, &t) < 0 || t.is_date || t.tzid == NULL ||
	    at_recur_to_utc(&t, NULL, t_r, err) < 0)
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
				    name, "%s must be a UTC instant such as 2026-11-23T08:00:00Z",
				    name);
	return 0;
}

/* One boundary of the sweep: +1 or -1 of a level at a time. */
typedef struct edge {
	int64_t at;
	int level, delta;
} edge;

static int edge_cmp(const void *x, const void *y)
{
	const edge *a = x, *b = y;
	if (a->at != b->at)
		return a->at < b->at ? -1 : 1;
	return a->delta - b->delta;  /* ends before starts at the same time */
}

/* The merged intervals of the spans, clipped to [from, to). */
static json_t *merge(const spans *s, int64_t from, int64_t to)
{
	json_t *out = json_array();
	edge *e = malloc((s->n * 2 + 1) * sizeof(*e));
	if (e == NULL)
		abort();
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++) {
		int64_t a = s->v[i].start < from ? from : s->v[i].start;
		int64_t b = s->v[i].end > to ? to : s->v[i].end;
		if (a >= b)
			continue;
		e[n++] = (edge){a, s->v[i].level, +1};
		e[n++] = (edge){b, s->v[i].level, -1};
	}
	qsort(e, n, sizeof(*e), edge_cmp);
	int active[FB_LEVELS] = {0};
	int cur = FB_FREE;
	int64_t cur_start = 0;
	json_t *last = NULL;
	int64_t last_end = 0;
	int last_level = FB_FREE;
	for (size_t i = 0; i < n;) {
		int64_t at = e[i].at;
		for (; i < n && e[i].at == at; i++)
			active[e[i].level] += e[i].delta;
		int lvl = FB_FREE;
		for (int l = FB_LEVELS - 1; l > FB_FREE; l--)
			if (active[l] > 0) {
				lvl = l;
				break;
			}
		if (lvl == cur)
			continue;
		if (cur != FB_FREE && at > cur_start) {
			char a[AT_DATETIME_SIZE], b[AT_DATETIME_SIZE];
			if (last != NULL && last_level == cur && last_end == cur_start) {
				format_utc(at, b);
				json_object_set_new(last, "end", json_string(b));
			} else {
				format_utc(cur_start, a);
				format_utc(at, b);
				last = json_pack("{s:s,s:s,s:s}", "start", a, "end", b, "showAs",
						 level_names[cur]);
				json_array_append_new(out, last);
			}
			last_end = at;
			last_level = cur;
		}
		cur = lvl;
		cur_start = at;
	}
	free(e);
	return out;
}

struct folders_walk {
	as_folder *v;
	size_t n, cap;
	at_arena *arena;
};

static int on_folder(void *ctx, const as_folder *f)
{
	struct folders_walk *w = ctx;
	if (f->module != AT_MODULE_CALENDAR)
		return 0;
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 8;
		as_folder *v = at_arena_alloc(w->arena, cap * sizeof(*v));
		if (w->n > 0)
			memcpy(v, w->v, w->n * sizeof(*v));
		w->v = v;
		w->cap = cap;
	}
	w->v[w->n++] = *f;
	return 0;
}

typedef struct fb_query {
	as_ctx *ctx;
	int64_t from, to;
	const char *zone;   /* floating and all-day times */
	bool details;
	const char *exclude;  /* as_freebusy_busy: this appointment and its copies */
	as_busy *busy;        /* as_freebusy_busy: the occurrences, in ctx->arena */
	size_t n_busy, cap_busy;
} fb_query;

/* An invitation copy counts as its attendee answered: declined ones are
 * free, unanswered and tentative ones at most tentative. */
static int answer_level(json_t *fields, int level)
{
	if (json_object_get(fields, "invitation") == NULL)
		return level;
	const char *r = json_string_value(json_object_get(fields, "response"));
	if (r != NULL && strcmp(r, "declined") == 0)
		return FB_FREE;
	if (r == NULL || strcmp(r, "accepted") != 0)
		return level > FB_TENTATIVE ? FB_TENTATIVE : level;
	return level;
}

static void busy_push(fb_query *q, const as_busy *b)
{
	if (q->n_busy == q->cap_busy) {
		size_t cap = q->cap_busy ? q->cap_busy * 2 : 32;
		as_busy *v = at_arena_alloc(q->ctx->arena, cap * sizeof(*v));
		if (q->n_busy > 0)
			memcpy(v, q->busy, q->n_busy * sizeof(*v));
		q->busy = v;
		q->cap_busy = cap;
	}
	q->busy[q->n_busy++] = *b;
}

static const char *str_field(json_t *fields, json_t *override, const char *name)
{
	json_t *v = override != NULL ? json_object_get(override, name) : NULL;
	if (v == NULL)
		v = json_object_get(fields, name);
	return json_string_value(v);
}

/* Adds the occurrences of one appointment to s (and to details). */
static int add_item(fb_query *q, const as_folder *f, const at_rights *rights,
		    const as_item *it, spans *s, json_t *details, size_t *total, at_error *err)
{
	at_arena *arena = at_arena_new(0);
	at_appt a;
	at_appt_occurrence *occ;
	size_t n;
	int rc = 0;
	at_error ie;
	if (at_appt_load(it->fields, arena, &a, &ie) < 0) {
		at_warn("freebusy", "appointment %s cannot be read: %s", it->id, ie.message);
		goto done;
	}
	if (at_appt_expand(&a, q->from, q->to, q->zone, NULL, arena, &occ, &n, &ie) < 0) {
		if (strcmp(ie.code, AT_E_LIMIT) == 0) {
			*err = ie;
			rc = -1;
			goto done;
		}
		at_warn("freebusy", "appointment %s cannot be expanded: %s", it->id, ie.message);
		goto done;
	}
	*total += n;
	if (*total > AS_FREEBUSY_MAX_OCCURRENCES) {
		at_error_set(err, AT_E_LIMIT, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, "to", "limit");
		rc = -1;
		goto done;
	}
	bool priv = json_is_true(json_object_get(it->fields, "private"));
	bool own = strcmp(it->created_by, q->ctx->user->id) == 0;
	bool readable = q->details && at_acl_may_read(rights, own, priv);
	for (size_t i = 0; i < n; i++) {
		json_t *ov = occ[i].override;
		int level = answer_level(it->fields, level_of(str_field(it->fields, ov, "showAs")));
		if (level == FB_FREE || occ[i].occ.end <= occ[i].occ.start)
			continue;
		spans_push(s, occ[i].occ.start, occ[i].occ.end, level);
		if (q->exclude != NULL) {
			const char *subj = str_field(it->fields, ov, "subject");
			as_busy b = {.start = occ[i].occ.start, .end = occ[i].occ.end,
				     .show_as = level_names[level],
				     .item_id = at_arena_strdup(q->ctx->arena, it->id),
				     .folder_id = f->id,
				     .subject = at_acl_may_read(rights, own, priv) && subj != NULL
						? at_arena_strdup(q->ctx->arena, subj) : NULL};
			busy_push(q, &b);
		}
		if (readable) {
			char a1[AT_DATETIME_SIZE], b1[AT_DATETIME_SIZE];
			format_utc(occ[i].occ.start, a1);
			format_utc(occ[i].occ.end, b1);
			json_t *d = json_pack("{s:s,s:s,s:s,s:s,s:s}", "start", a1, "end", b1,
					      "showAs", level_names[level], "id", it->id,
					      "folderId", f->id);
			const char *subj = str_field(it->fields, ov, "subject");
			const char *loc = str_field(it->fields, ov, "location");
			if (subj != NULL)
				json_object_set_new(d, "subject", json_string(subj));
			if (loc != NULL)
				json_object_set_new(d, "location", json_string(loc));
			if (priv)
				json_object_set_new(d, "private", json_true());
			json_array_append_new(details, d);
		}
	}
done:
	at_arena_free(&arena);
	return rc;
}

static int detail_cmp(const void *x, const void *y)
{
	json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
	return strcmp(json_string_value(json_object_get(a, "start")),
		      json_string_value(json_object_get(b, "start")));
}


/* Is it is the appointment `exclude` or one of its invitation copies? */
static bool excluded(const fb_query *q, const as_item *it)
{
	if (q->exclude == NULL)
		return false;
	json_t *inv = json_object_get(it->fields, "invitation");
	const char *orig = json_string_value(json_object_get(inv, "appointmentId"));
	return strcmp(it->id, q->exclude) == 0 || (orig != NULL && strcmp(orig, q->exclude) == 0);
}

/* The occurrences of u's calendars in q's range: into sp (and details,
 * and q->busy when q->exclude is set).  -1: err (limitExceeded naming u). */
static int scan_user(fb_query *q, const as_user *u, spans *sp, json_t *details,
		     at_error *err)
{
	as_ctx *ctx = q->ctx;
	as_store *s = ctx->store;
	bool found;
	const char *login = u->login;
	struct folders_walk fw = {.arena = ctx->arena};
	if (s->ops->folder_list_owned(s, u->id, 0, ctx->arena, on_folder, &fw, err) < 0)
		return -1;
	size_t total = 0;
	for (size_t i = 0; i < fw.n; i++) {
		at_rights rights = {0};
		if ((q->details || q->exclude != NULL) &&
		    as_folder_rights(ctx, &fw.v[i], &rights, err) < 0)
			return -1;
		const char **ids;
		size_t n_ids;
		if (s->ops->appointments_in_range(s, fw.v[i].id, q->from, q->to, ctx->arena, &ids,
						  &n_ids, err) < 0)
			return -1;
		for (size_t j = 0; j < n_ids; j++) {
			as_item it = {0};
			if (s->ops->item_get(s, ids[j], ctx->arena, &it, &found, err) < 0)
				return -1;
			int rc = 0;
			if (found && strcmp(it.type, "appointment") == 0 && !excluded(q, &it))
				rc = add_item(q, &fw.v[i], &rights, &it, sp, details, &total, err);
			as_item_clear(&it);
			if (rc < 0) {
				snprintf(err->message, sizeof(err->message),
					 "the free/busy time of \"%s\" in this range has more than %d "
					 "appointments: ask for a shorter range",
					 login, AS_FREEBUSY_MAX_OCCURRENCES);
				return -1;
			}
		}
	}
	return 0;
}

int as_freebusy_busy(as_ctx *ctx, const as_user *u, int64_t from, int64_t to,
		     const char *zone, const char *exclude_id, as_busy **busy_r, size_t *n_r,
		     at_error *err)
{
	fb_query q = {.ctx = ctx, .from = from, .to = to, .zone = zone,
		      .exclude = exclude_id != NULL ? exclude_id : ""};
	spans sp = {0};
	int rc = scan_user(&q, u, &sp, NULL, err);
	free(sp.v);
	*busy_r = q.busy;
	*n_r = q.n_busy;
	return rc;
}

static bool is_resource(const as_user *u)
{
	return u->kind != NULL && strcmp(u->kind, AS_KIND_RESOURCE) == 0;
}

/* The entry of one principal: its busy time, or its error. */
static json_t *principal_entry(fb_query *q, const char *login, at_error *err)
{
	as_ctx *ctx = q->ctx;
	as_store *s = ctx->store;
	as_user u;
	bool found;
	json_t *entry = NULL, *details = NULL;
	spans sp = {0};
	if (s->ops->user_get_by_login(s, login, ctx->arena, &u, &found, err) < 0)
		return NULL;
	if (!found) {
		at_error ne;
		at_error_set(&ne, AT_E_NOT_FOUND, AT_SCOPE_ITEM, AT_RETRY_FINAL, "principals",
			     "there is no user or resource \"%s\"", login);
		return json_pack("{s:s,s:o}", "principal", login, "error", at_error_to_json(&ne));
	}
	details = q->details ? json_array() : NULL;
	if (scan_user(q, &u, &sp, details, err) < 0)
		goto done;
	entry = json_pack("{s:s,s:s,s:s,s:o}", "principal", login, "name", u.name, "type",
			  is_resource(&u) ? "resource" : "user", "busy", merge(&sp, q->from, q->to));
	if (details != NULL) {
		at_json_array_sort(details, detail_cmp);
		json_object_set(entry, "items", details);
	}
done:
	json_decref(details);
	free(sp.v);
	return entry;
}

json_t *as_calendar_freebusy(as_ctx *ctx, json_t *args, at_error *err)
{
	as_store *s = ctx->store;
	json_error_t jerr;
	json_t *principals = NULL, *list = NULL, *result = NULL;
	const char *zone = NULL, *from_s, *to_s;
	int details = 0;
	fb_query q = {.ctx = ctx};
	if (json_unpack_ex(args, &jerr, JSON_STRICT, "{s:o,s:s,s:s,s?s,s?b}", "principals",
			   &principals, "from", &from_s, "to", &to_s,
			   "timeZone", &zone, "details", &details) < 0) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, NULL,
			     "Calendar/getFreeBusy: %s", jerr.text);
		return NULL;
	}
	size_t n = json_array_size(principals);
	if (!json_is_array(principals) || n == 0 || n > AS_FREEBUSY_MAX_PRINCIPALS) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
			     "principals", "principals must be a list of 1 to %d logins",
			     AS_FREEBUSY_MAX_PRINCIPALS);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *p = json_array_get(principals, i);
		if (!json_is_string(p) || json_string_length(p) == 0 ||
		    json_string_length(p) > AS_LOGIN_MAX) {
			at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
				     "principals", "principals[%zu] must be a login of at most %d "
				     "characters", i, AS_LOGIN_MAX);
			return NULL;
		}
	}
	if (instant_arg(args, "from", &q.from, err) < 0 || instant_arg(args, "to", &q.to, err) < 0)
		return NULL;
	if (q.to <= q.from || q.to - q.from > (int64_t)AS_FREEBUSY_MAX_DAYS * 86400) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, "to",
			     "to must be after from, at most %d days later", AS_FREEBUSY_MAX_DAYS);
		return NULL;
	}
	if (zone != NULL && !at_recur_zone_known(zone)) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
			     "timeZone", "unknown time zone \"%.64s\"", zone);
		return NULL;
	}
	q.zone = zone;
	q.details = details != 0;
	if (s->ops->begin(s, false, err) < 0)
		return NULL;
	list = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *e = principal_entry(&q, json_string_value(json_array_get(principals, i)),
					    err);
		if (e == NULL)
			goto done;
		json_array_append_new(list, e);
	}
	char fb[AT_DATETIME_SIZE], tb[AT_DATETIME_SIZE];
	format_utc(q.from, fb);
	format_utc(q.to, tb);
	result = json_pack("{s:s,s:s,s:O}", "from", fb, "to", tb, "freeBusy", list);
done:
	s->ops->rollback(s);
	json_decref(list);
	return result;
}
