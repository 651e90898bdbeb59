/* invitations.c — see invitations.h. */
#include "invitations.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "appointment.h"
#include "clock.h"
#include "copies.h"
#include "freebusy.h"
#include "ical.h"
#include "log.h"
#include "mail.h"
#include "model.h"
#include "protocol.h"
#include "strbuf.h"

#define MOD "invitations"
#define DAY 86400

/* What an attendee's copy gets from the organizer's appointment when it is
 * made. */
static const char *const copy_fields[] = {
	"subject", "location", "label", "start", "end", "timeZone", "allDay", "reminderMinutes",
	"showAs", "notes", "categories", "private", "participants", "organizer", "rrule",
	"rdates", "exdates", "overrides", "uid", "sequence", NULL,
};
/* What later changes of the organizer's appointment carry to every copy
 * (reminder, show-as, label and categories stay the attendee's). */
static const char *const content_fields[] = {
	"subject", "location", "start", "end", "timeZone", "allDay", "notes", "private",
	"participants", "organizer", "rrule", "rdates", "exdates", "overrides", "uid",
	"sequence", NULL,
};
/* Changes the participants are told of ("Updated: ..."). */
static const char *const notice_fields[] = {
	"subject", "location", "start", "end", "timeZone", "allDay", "notes", "private",
	"rrule", "rdates", "exdates", "overrides", NULL,
};
/* The times: a change of one of these is a reschedule (overrides count when
 * the times of one of them change). */
static const char *const time_fields[] = {
	"start", "end", "timeZone", "allDay", "rrule", "rdates", "exdates", NULL,
};
/* What an attendee may change on their copy. */
static const char *const attendee_fields[] = {
	"response", "responseComment", "proposedStart", "proposedEnd", "reminderMinutes",
	"showAs", "label", "categories", "notes", "contacts", NULL,
};
/* What an attendee writes that flows back to the organizer. */
static const char *const answer_fields[] = {
	"response", "responseComment", "proposedStart", "proposedEnd", NULL,
};
/* Participant members only the server writes. */
static const char *const server_members[] = {"appointmentId", "proposedStart", "proposedEnd",
					     NULL};

/* --- small helpers ---------------------------------------------------------- */

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static bool streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static void bump(as_item *it, const char *k, int64_t modseq)
{
	json_object_set_new(it->field_versions, k, json_integer(modseq));
}

static bool in_list(const char *k, const char *const *list)
{
	for (const char *const *p = list; *p != NULL; p++)
		if (strcmp(*p, k) == 0)
			return true;
	return false;
}

static bool touches(json_t *keys, const char *const *list)
{
	for (const char *const *k = list; *k != NULL; k++)
		if (json_object_get(keys, *k) != NULL)
			return true;
	return false;
}

static bool is_resource_user(const as_user *u)
{
	return u->kind != NULL && strcmp(u->kind, AS_KIND_RESOURCE) == 0;
}

/* An internal participant: a user or a resource named by login. */
static bool internal(json_t *p)
{
	const char *t = jstr(p, "type");
	return (streq(t, "user") || streq(t, "resource")) && jstr(p, "login") != NULL;
}

/* The entry of list with the type and login of p (internal ones), or the
 * address of p (external ones), or NULL. */
static json_t *same_participant(json_t *list, json_t *p)
{
	size_t i;
	json_t *q;
	const char *type = jstr(p, "type");
	json_array_foreach(list, i, q) {
		if (!streq(jstr(q, "type"), type))
			continue;
		if (streq(type, "external")) {
			const char *a = jstr(p, "address"), *b = jstr(q, "address");
			if (a != NULL && b != NULL && strcasecmp(a, b) == 0)
				return q;
		} else if (streq(jstr(q, "login"), jstr(p, "login"))) {
			return q;
		}
	}
	return NULL;
}

static void format_utc(int64_t t, char buf[AT_DATETIME_SIZE])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, AT_DATETIME_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int user_by_login(as_ctx *ctx, const char *login, as_user *u_r, bool *found_r,
			 at_error *err)
{
	return ctx->store->ops->user_get_by_login(ctx->store, login, ctx->arena, u_r, found_r,
						  err);
}

static int user_by_id(as_ctx *ctx, const char *id, as_user *u_r, bool *found_r, at_error *err)
{
	return ctx->store->ops->user_get_by_id(ctx->store, id, ctx->arena, u_r, found_r, err);
}

static bool is_copy(json_t *fields)
{
	return json_object_get(fields, "invitation") != NULL;
}

/* Is this (not a copy) an organizer's appointment the server manages? */
static bool managed(json_t *fields)
{
	json_t *org = json_object_get(fields, "organizer");
	return !is_copy(fields) && (org == NULL || jstr(org, "login") != NULL);
}

/* The attendees' copies (copies.h): "invitation" names the organizer's
 * appointment; an entry's members about its copy are the server's. */
static const as_copy_kind appt_copies = {
	.type = "appointment", .module = AT_MODULE_CALENDAR, .cid_prefix = AS_INVITE_CID_PREFIX,
	.back_ref = "invitation", .id_member = "appointmentId", .entry_members = server_members,
	.log = MOD, .mail_word = "mail",
	.everyone_refused = "the whole organisation cannot be invited:"};

/* "Start: ...\nEnd: ...\n..." of an appointment for a notice. */
static const char *summary_text(at_arena *a, json_t *f)
{
	return at_arena_printf(a, "Start: %s\nEnd: %s%s%s\nLocation: %s\n\nNotes:\n%s\n",
			       as_copies_or_dash(jstr(f, "start")),
			       as_copies_or_dash(jstr(f, "end")),
			       jstr(f, "rrule") != NULL ? "\nRepeats: " : "",
			       jstr(f, "rrule") != NULL ? jstr(f, "rrule") : "",
			       as_copies_or_dash(jstr(f, "location")), as_copies_excerpt(a, f));
}

/* --- iMIP (RFC 6047) for external participants -------------------------------- */

/* The iCalendar text of the appointment with METHOD method (REQUEST or
 * CANCEL), or NULL (logged) when it cannot be written. */
static const char *imip_text(as_ctx *ctx, json_t *fields, const char *method, const char *uid)
{
	at_arena *a = ctx->arena;
	json_t *f = json_deep_copy(fields);
	const char *out = NULL;
	bool cancel = strcmp(method, "CANCEL") == 0;
	at_error ie;
	at_buf b;
	at_buf_init(&b, AS_MAIL_ICAL_MAX);
	/* internal participants as mailto: their e-mail addresses */
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(f, "participants"), i, p) {
		for (const char *const *m = server_members; *m != NULL; m++)
			json_object_del(p, *m);
		if (jstr(p, "status") == NULL)
			json_object_set_new(p, "status", json_string("none"));
		if (!cancel && streq(jstr(p, "status"), "none") &&
		    json_object_get(p, "rsvp") == NULL)
			json_object_set_new(p, "rsvp", json_true());
		if (!internal(p) || jstr(p, "address") != NULL)
			continue;
		as_user u;
		bool found;
		at_error se;
		if (user_by_login(ctx, jstr(p, "login"), &u, &found, &se) == 0 && found &&
		    u.email != NULL && u.email[0] != '\0')
			json_object_set_new(p, "address", json_string(u.email));
	}
	json_t *seq = json_object_get(f, "sequence");
	int sequence = json_is_integer(seq) ? (int)json_integer_value(seq) : 0;
	if (cancel)
		sequence++;
	at_ical_item ev;
	if (at_appt_to_ical(f, uid, a, &ev, &ie) < 0) {
		at_warn(MOD, "appointment %s cannot be written as iCalendar: %s", uid, ie.message);
		goto done;
	}
	ev.has_sequence = true;
	ev.sequence = sequence;
	if (cancel)
		ev.status = "CANCELLED";
	char stamp[20];
	time_t now = (time_t)as_clock_now();
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	at_ical_prop *other = at_arena_alloc(a, (ev.n_other + 1) * sizeof(*other));
	other[0] = (at_ical_prop){.name = "DTSTAMP", .value = at_arena_strdup(a, stamp)};
	if (ev.n_other > 0)
		memcpy(other + 1, ev.other, ev.n_other * sizeof(*other));
	ev.other = other;
	ev.n_other++;
	at_ical_calendar cal = {.method = method, .items = &ev, .n_items = 1};
	if (at_ical_write(&cal, &b, &ie) < 0) {
		at_warn(MOD, "appointment %s: iCalendar text too long: %s", uid, ie.message);
		goto done;
	}
	out = at_arena_strdup(a, b.data);
done:
	at_buf_free(&b);
	json_decref(f);
	return out;
}

static int imip(as_ctx *ctx, json_t *fields, const char *uid, const char *method,
		json_t *p, const as_user *org, bool update, at_error *err)
{
	at_arena *a = ctx->arena;
	const char *ical = imip_text(ctx, fields, method, uid);
	if (ical == NULL)
		return 0;
	const char *subj = as_copies_subject(a, jstr(fields, "subject"));
	bool cancel = strcmp(method, "CANCEL") == 0;
	const char *word = cancel ? "Cancelled" : update ? "Updated" : "Invitation";
	const char *text = at_arena_printf(
		a, "%s (%s) %s: %s\n\n%s", org->name, as_copies_or_dash(org->email),
		cancel ? "cancelled the appointment" : update ? "changed the appointment"
		       : "invites you to an appointment", subj, summary_text(a, fields));
	as_mail_msg m = {.to = jstr(p, "address"), .to_name = jstr(p, "name"),
			 .subject = at_arena_printf(a, "%s: %s", word, subj), .text = text,
			 .ical = ical, .ical_method = method};
	return as_copies_mail(ctx, &appt_copies, &m, err);
}

/* --- conflicts ------------------------------------------------------------------ */

struct conflicts {
	json_t *list;     /* the listed ones */
	size_t total;
	const char *first;  /* "bob is busy from ... to ..." */
};

/* The busy occurrences of principal u that overlap an occurrence of occ. */
static int principal_conflicts(as_ctx *ctx, const as_user *u, const char *exclude_id,
			       const at_appt_occurrence *occ, size_t n, int64_t from,
			       int64_t to, struct conflicts *c, at_error *err)
{
	as_busy *busy;
	size_t nb;
	if (as_freebusy_busy(ctx, u, from, to, NULL, exclude_id, &busy, &nb, err) < 0) {
		if (strcmp(err->code, AT_E_LIMIT) != 0)
			return -1;
		at_warn(MOD, "conflicts of %s not checked: %s", u->login, err->message);
		at_error_clear(err);
		return 0;
	}
	const char *type = is_resource_user(u) ? "resource" : "user";
	for (size_t i = 0; i < nb; i++) {
		bool hit = false;
		for (size_t j = 0; j < n && !hit; j++)
			hit = busy[i].start < occ[j].occ.end && occ[j].occ.start < busy[i].end;
		if (!hit)
			continue;
		char a[AT_DATETIME_SIZE], b[AT_DATETIME_SIZE];
		format_utc(busy[i].start, a);
		format_utc(busy[i].end, b);
		if (c->total++ == 0)
			c->first = at_arena_printf(ctx->arena, "%s is %s from %s to %s", u->login,
						   busy[i].show_as, a, b);
		if (json_array_size(c->list) >= AS_INVITE_MAX_CONFLICTS)
			continue;
		json_t *e = json_pack("{s:s,s:s,s:s,s:s,s:s}", "principal", u->login, "type", type,
				      "start", a, "end", b, "showAs", busy[i].show_as);
		if (busy[i].subject != NULL)
			json_object_set_new(e, "subject", json_string(busy[i].subject));
		json_array_append_new(c->list, e);
	}
	return 0;
}

/* Checks the people (when people is true: the user participants but the
 * organizer, whose own overlaps are a choice) and the resources in `resources` (an object used as a set
 * of logins) of the appointment it against their busy time in the first
 * AS_INVITE_CONFLICT_DAYS of the series.  1: refused (ie and
 * w->error_extra filled), 0: free, -1: store failure. */
static int check_conflicts(as_item_write *w, const as_user *org, bool people,
			   json_t *resources, at_error *ie, at_error *err)
{
	as_ctx *ctx = w->ctx;
	json_t *f = w->item->fields;
	at_arena *arena = at_arena_new(0);
	struct conflicts c = {.list = json_array()};
	int rc = -1;
	at_appt ap;
	at_appt_occurrence *occ;
	size_t n;
	at_error le;
	int64_t first;
	if (at_appt_load(f, arena, &ap, &le) < 0 ||
	    at_recur_to_utc(&ap.start, NULL, &first, &le) < 0) {
		rc = 0;  /* the whole-item check reports it */
		goto done;
	}
	int64_t from = first - DAY, to = first + (int64_t)AS_INVITE_CONFLICT_DAYS * DAY;
	if (at_appt_expand(&ap, from, to, NULL, NULL, arena, &occ, &n, &le) < 0) {
		at_warn(MOD, "appointment %s: conflicts not checked: %s", w->item->id, le.message);
		rc = 0;
		goto done;
	}
	if (n == 0) {
		rc = 0;
		goto done;
	}
	from = occ[0].occ.start;
	to = from + (int64_t)AS_FREEBUSY_MAX_DAYS * DAY;
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(f, "participants"), i, p) {
		const char *type = jstr(p, "type"), *login = jstr(p, "login");
		bool res = streq(type, "resource");
		if (!internal(p) || (res && json_object_get(resources, login) == NULL) ||
		    (!res && (!people || (org != NULL && streq(login, org->login)))))
			continue;
		as_user u;
		bool found;
		if (user_by_login(ctx, login, &u, &found, err) < 0)
			goto done;
		if (found && principal_conflicts(ctx, &u, w->item->id, occ, n, from, to, &c,
						 err) < 0)
			goto done;
	}
	rc = 0;
	if (c.total > 0) {
		at_error_set(ie, AT_E_APPOINTMENT_CONFLICT, AT_SCOPE_ITEM, AT_RETRY_FINAL, "start",
			     "the time is taken: %s%s", c.first,
			     c.total > 1 ? at_arena_printf(ctx->arena, " (and %zu more conflicts)",
							   c.total - 1) : "");
		at_error_scrub(ie);
		json_decref(w->error_extra);
		w->error_extra = json_pack("{s:O}", "conflicts", c.list);
		rc = 1;
	}
done:
	json_decref(c.list);
	at_arena_free(&arena);
	return rc;
}

/* --- the organizer's side ---------------------------------------------------------- */

/* The times of the overrides (recurrenceId, start, end), to tell a
 * reschedule from other changes of overrides. */
static json_t *override_times(json_t *fields)
{
	json_t *out = json_array();
	size_t i;
	json_t *o;
	json_array_foreach(json_object_get(fields, "overrides"), i, o) {
		json_t *e = json_object();
		as_copies_carry(e, o, "recurrenceId");
		as_copies_carry(e, o, "start");
		as_copies_carry(e, o, "end");
		json_array_append_new(out, e);
	}
	return out;
}

static bool rescheduled(json_t *old, json_t *f)
{
	if (old == NULL)
		return false;
	for (const char *const *k = time_fields; *k != NULL; k++) {
		json_t *a = json_object_get(old, *k), *b = json_object_get(f, *k);
		if ((a == NULL) != (b == NULL) || (a != NULL && !json_equal(a, b)))
			return true;
	}
	json_t *a = override_times(old), *b = override_times(f);
	bool changed = !json_equal(a, b);
	json_decref(a);
	json_decref(b);
	return changed;
}

/* A user or resource entry must name one (users and resources being what
 * the type says); groups become their members (as_copies_expand()). */
static int check_invitee(as_ctx *ctx, json_t *p, const char *field, const char *self,
			 at_error *ie, at_error *err)
{
	const char *type = jstr(p, "type"), *login = jstr(p, "login");
	bool res = streq(type, "resource"), found;
	as_user u;
	(void)self;  /* the organizer is checked as anyone */
	if (!streq(type, "user") && !res)
		return 0;
	if (user_by_login(ctx, login, &u, &found, err) < 0)
		return -1;
	if (found && is_resource_user(&u) == res)
		return 0;
	return as_copies_refuse(ie, field, res ? "no resource named" : "no user with the login",
				login);
}

/* Does the list name users, groups or resources (not only addresses)? */
static bool invites_insiders(json_t *parts)
{
	size_t i;
	json_t *p;
	json_array_foreach(parts, i, p)
		if (!streq(jstr(p, "type"), "external"))
			return true;
	return false;
}

static int organizer_before_write(as_item_write *w, json_t *changed, at_error *ie,
				  at_error *err)
{
	as_ctx *ctx = w->ctx;
	as_item *it = w->item;
	json_t *f = it->fields;
	json_t *parts = json_object_get(f, "participants");
	json_t *old_parts = w->old != NULL ? json_object_get(w->old, "participants") : NULL;
	json_t *resources = NULL;
	int rc = -1;
	bool found;
	if (json_array_size(parts) == 0 && json_array_size(old_parts) == 0)
		return 0;
	/* the organizer: the writer, unless named; a meeting of outsiders only
	 * without an organizer (an imported event) is not the server's to run */
	json_t *org_f = json_object_get(f, "organizer");
	as_user org;
	if (org_f == NULL && !invites_insiders(parts) && !invites_insiders(old_parts))
		return 0;
	if (org_f == NULL) {
		org = *ctx->user;
		org_f = json_pack("{s:s}", "login", org.login);
		if (org.name != NULL && org.name[0] != '\0')
			json_object_set_new(org_f, "name", json_string(org.name));
		if (org.email != NULL && org.email[0] != '\0')
			json_object_set_new(org_f, "address", json_string(org.email));
		json_object_set_new(f, "organizer", org_f);
		bump(it, "organizer", w->modseq);
		json_object_set_new(changed, "organizer", json_true());
	} else {
		if (user_by_login(ctx, jstr(org_f, "login"), &org, &found, err) < 0)
			return -1;
		if (!found || is_resource_user(&org))
			return as_copies_refuse(ie, "organizer.login", "no user with the login",
						jstr(org_f, "login"));
	}
	json_object_set_new(w->state, "organizer", json_string(org.login));
	if (jstr(f, "uid") == NULL) {
		json_object_set_new(f, "uid", json_string(at_arena_printf(
			ctx->arena, "%s@atrium", it->id)));
		bump(it, "uid", w->modseq);
		json_object_set_new(changed, "uid", json_true());
	}
	bool expanded = false;
	if (json_object_get(changed, "participants") != NULL) {
		int r = as_copies_expand(ctx, &appt_copies, f, org.login, check_invitee, &expanded,
					 ie, err);
		if (r != 0)
			return r;
		parts = json_object_get(f, "participants");
	}
	bool resched = rescheduled(w->old, f);
	bool parts_dirty = expanded;
	size_t i;
	json_t *p;
	resources = json_object();
	json_array_foreach(parts, i, p) {
		const char *type = jstr(p, "type");
		bool res = streq(type, "resource");
		bool is_new = same_participant(old_parts, p) == NULL;
		if (res && (w->old == NULL || resched || is_new))
			json_object_set_new(resources, jstr(p, "login"), json_true());
		if (res) {
			parts_dirty |= as_copies_set(p, "status", json_string("accepted"));
			continue;
		}
		if (resched && !streq(type, "group")) {
			parts_dirty |= as_copies_set(p, "status", json_string("none"));
			for (const char *const *m = server_members; *m != NULL; m++)
				if (strcmp(*m, "appointmentId") != 0)
					parts_dirty |= as_copies_set(p, *m, NULL);
			if (internal(p))
				parts_dirty |= as_copies_set(p, "comment", NULL);
		} else if (streq(type, "user") && jstr(p, "status") == NULL) {
			parts_dirty |= as_copies_set(p, "status", json_string("none"));
		}
	}
	if (parts_dirty) {
		bump(it, "participants", w->modseq);
		json_object_set_new(changed, "participants", json_true());
	}
	if (resched) {
		json_t *seq = json_object_get(w->old, "sequence");
		json_int_t next = json_is_integer(seq) ? json_integer_value(seq) + 1 : 1;
		json_t *cur = json_object_get(f, "sequence");
		if (!json_is_integer(cur) || json_integer_value(cur) < next) {
			json_object_set_new(f, "sequence", json_integer(next));
			bump(it, "sequence", w->modseq);
			json_object_set_new(changed, "sequence", json_true());
		}
		json_object_set_new(w->state, "reschedule", json_true());
	}
	bool invites = false;  /* users other than the organizer */
	size_t pi;
	json_t *pp;
	json_array_foreach(parts, pi, pp)
		if (streq(jstr(pp, "type"), "user") && !streq(jstr(pp, "login"), org.login))
			invites = true;
	bool people = (w->old == NULL || resched) && !w->ignore_conflicts &&
		      !streq(jstr(f, "showAs"), "free") && invites;
	if (people || json_object_size(resources) > 0) {
		rc = check_conflicts(w, &org, people, resources, ie, err);
		goto done;
	}
	rc = 0;
done:
	json_decref(resources);
	return rc;
}

/* A copy's fields from the organizer's appointment it (all of copy_fields
 * when made, content_fields later), its invitation and answer. */
static json_t *new_copy_fields(const as_item *it, const char *org_login, bool resource)
{
	json_t *c = json_object();
	for (const char *const *k = copy_fields; *k != NULL; k++)
		as_copies_carry(c, it->fields, *k);
	json_object_set_new(c, "invitation", json_pack("{s:s,s:s}", "appointmentId", it->id,
						       "login", org_login));
	json_object_set_new(c, "response", json_string(resource ? "accepted" : "none"));
	return c;
}

struct new_copy {
	const char *id, *client_id, *folder_id;
	as_user user;
};

static int notify_invited(as_ctx *ctx, const as_item *it, const as_user *org,
			  const as_user *to, const char *copy_id, bool update, at_error *err)
{
	at_arena *a = ctx->arena;
	json_t *f = it->fields;
	const char *subj = as_copies_subject(a, jstr(f, "subject"));
	const char *text = at_arena_printf(
		a, "%s (%s) %s: %s\n\n%s\nThe appointment is in your calendar. Answer with:\n"
		"  atrium invite respond %s accept|tentative|decline\n",
		org->name, org->login, update ? "changed the appointment" : "invites you to",
		subj, summary_text(a, f), copy_id);
	const char *word = update ? "Updated" : "Invitation";
	return as_copies_notice(ctx, &appt_copies, to->email, to->name,
				at_arena_printf(a, "%s: %s", word, subj), text, err);
}

static int notify_cancelled(as_ctx *ctx, json_t *fields, const char *org_name,
			    const char *user_login, at_error *err)
{
	as_user u;
	bool found;
	if (user_by_login(ctx, user_login, &u, &found, err) < 0)
		return -1;
	if (!found || is_resource_user(&u))
		return 0;
	const char *subj = as_copies_subject(ctx->arena, jstr(fields, "subject"));
	const char *text = at_arena_printf(ctx->arena, "%s cancelled the appointment, or took "
					   "you off it: %s\n\n%s", as_copies_or_dash(org_name),
					   subj, summary_text(ctx->arena, fields));
	return as_copies_notice(ctx, &appt_copies, u.email, u.name,
				at_arena_printf(ctx->arena, "Cancelled: %s", subj), text, err);
}

/* Brings a copy in line with the organizer's appointment: the content
 * fields named in changed (all of them when changed is NULL), and after a
 * reschedule a fresh answer. */
static int update_copy(as_ctx *ctx, as_item *copy, const as_item *it, json_t *changed,
		       bool resched, int64_t modseq, at_error *err)
{
	bool dirty = as_copies_carry_fields(copy, it->fields, content_fields, changed, modseq);
	if (resched) {
		as_user u;
		bool found, res = false;
		if (user_by_id(ctx, copy->created_by, &u, &found, err) < 0)
			return -1;
		res = found && is_resource_user(&u);
		static const char *const cleared[] = {"responseComment", "proposedStart",
						      "proposedEnd"};
		for (size_t i = 0; i < 3; i++)
			if (as_copies_set(copy->fields, cleared[i], NULL)) {
				bump(copy, cleared[i], modseq);
				dirty = true;
			}
		if (as_copies_set(copy->fields, "response",
				  json_string(res ? "accepted" : "none"))) {
			bump(copy, "response", modseq);
			dirty = true;
		}
	}
	if (!dirty)
		return 0;
	return ctx->store->ops->item_put(ctx->store, copy, false, err);
}

static int organizer_after_write(as_item_write *w, json_t *changed, at_error *err)
{
	as_ctx *ctx = w->ctx;
	as_store *s = ctx->store;
	as_item *it = w->item;
	json_t *f = it->fields;
	json_t *parts = json_object_get(f, "participants");
	json_t *old_parts = w->old != NULL ? json_object_get(w->old, "participants") : NULL;
	json_t *kept = json_object();
	struct new_copy *made = NULL;
	size_t n_made = 0;
	bool found, parts_changed = false;
	bool resched = json_is_true(json_object_get(w->state, "reschedule"));
	bool update = w->old != NULL && touches(changed, notice_fields);
	int rc = -1;
	as_user org;
	if (user_by_login(ctx, jstr(w->state, "organizer"), &org, &found, err) < 0)
		goto done;
	if (!found) {
		rc = 0;
		goto done;
	}
	made = at_arena_alloc(ctx->arena, (json_array_size(parts) + 1) * sizeof(*made));
	/* pass 1: who has a copy, who gets one */
	size_t i;
	json_t *p;
	json_array_foreach(parts, i, p) {
		if (!internal(p) || streq(jstr(p, "login"), org.login))
			continue;
		const char *copy_id = jstr(p, "appointmentId");
		if (copy_id != NULL) {
			/* kept when live; a gone one is declined */
			bool live;
			if (as_copies_linked(ctx, &appt_copies, p, it->id, NULL, &live, err) < 0)
				goto done;
			if (live)
				json_object_set_new(kept, copy_id, json_true());
			parts_changed |= !live;
			continue;
		}
		/* a declined attendee (its copy deleted) gets no new copy until the
		 * organizer sets its status back to none */
		if (streq(jstr(p, "status"), "declined"))
			continue;
		struct new_copy *nc = &made[n_made];
		if (user_by_login(ctx, jstr(p, "login"), &nc->user, &found, err) < 0)
			goto done;
		if (!found)
			continue;
		const char *folder_id, *existing;
		if (as_copies_folder(ctx, &appt_copies, nc->user.id, &folder_id, err) < 0)
			goto done;
		if (folder_id == NULL) {
			at_warn(MOD, "%s has no default calendar: no copy of appointment %s",
				nc->user.login, it->id);
			continue;
		}
		if (strcmp(folder_id, it->folder_id) == 0)
			continue;  /* the appointment is in their calendar already */
		nc->folder_id = folder_id;
		if (as_copies_find(ctx, &appt_copies, it->id, nc->user.id, &nc->client_id,
				   &existing, err) < 0)
			goto done;
		if (existing != NULL) {
			json_object_set_new(p, "appointmentId", json_string(existing));
			json_object_set_new(kept, existing, json_true());
			parts_changed = true;
			continue;
		}
		nc->id = as_new_id(ctx->arena);
		json_object_set_new(p, "appointmentId", json_string(nc->id));
		parts_changed = true;
		n_made++;
	}
	if (parts_changed) {
		bump(it, "participants", w->modseq);
		json_object_set_new(changed, "participants", json_true());
	}
	/* pass 2: write the new copies and bring the others in line */
	for (size_t m = 0; m < n_made; m++) {
		struct new_copy *nc = &made[m];
		bool res = is_resource_user(&nc->user);
		json_t *cf = new_copy_fields(it, org.login, res);
		int r = as_copies_write_new(ctx, &appt_copies, nc->id, nc->folder_id, nc->user.id,
					    nc->client_id, cf, w->modseq, err);
		json_decref(cf);
		if (r < 0)
			goto done;
		if (!res && notify_invited(ctx, it, &org, &nc->user, nc->id, false, err) < 0)
			goto done;
	}
	const char *k;
	json_t *v;
	json_object_foreach(kept, k, v) {
		as_item copy = {0};
		if (s->ops->item_get(s, k, ctx->arena, &copy, &found, err) < 0)
			goto done;
		int r = found ? update_copy(ctx, &copy, it, changed, resched, w->modseq, err) : 0;
		as_user u;
		bool ufound = false;
		if (r == 0 && found && update)
			r = user_by_id(ctx, copy.created_by, &u, &ufound, err);
		if (r == 0 && ufound && !is_resource_user(&u))
			r = notify_invited(ctx, it, &org, &u, copy.id, true, err);
		as_item_clear(&copy);
		if (r < 0)
			goto done;
	}
	/* removed participants lose their copy; removed external ones get a
	 * CANCEL */
	json_array_foreach(old_parts, i, p) {
		json_t *now = same_participant(parts, p);
		if (streq(jstr(p, "type"), "external")) {
			if (now == NULL && jstr(p, "address") != NULL &&
			    imip(ctx, w->old, jstr(w->old, "uid"), "CANCEL", p, &org, false, err) < 0)
				goto done;
			continue;
		}
		const char *copy_id = jstr(p, "appointmentId");
		if (copy_id == NULL || json_object_get(kept, copy_id) != NULL || !at_id_valid(copy_id))
			continue;
		if (as_copies_delete(ctx, &appt_copies, copy_id, it->id, &found, NULL, err) < 0 ||
		    (found && now == NULL &&
		     notify_cancelled(ctx, w->old, org.name, jstr(p, "login"), err) < 0))
			goto done;
	}
	/* external participants: the new ones are invited, all are told of
	 * changes */
	json_array_foreach(parts, i, p) {
		if (!streq(jstr(p, "type"), "external") || jstr(p, "address") == NULL)
			continue;
		bool is_new = w->old == NULL || same_participant(old_parts, p) == NULL;
		if ((is_new || update) &&
		    imip(ctx, f, jstr(f, "uid"), "REQUEST", p, &org, !is_new, err) < 0)
			goto done;
	}
	rc = 0;
done:
	json_decref(kept);
	return rc;
}

/* --- the attendee's side ------------------------------------------------------------ */

/* Every copy of orig except skip_id gets orig's participants. */
static int spread_participants(as_ctx *ctx, const as_item *orig, const char *skip_id,
			       int64_t modseq, at_error *err)
{
	as_store *s = ctx->store;
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(orig->fields, "participants"), i, p) {
		const char *id = jstr(p, "appointmentId");
		if (streq(id, skip_id))
			continue;
		as_item copy = {0};
		bool live;
		int r = as_copies_get(ctx, &appt_copies, id, orig->id, &copy, NULL, &live, err);
		if (r == 0 && live && as_copies_carry(copy.fields, orig->fields, "participants")) {
			bump(&copy, "participants", modseq);
			r = s->ops->item_put(s, &copy, false, err);
		}
		as_item_clear(&copy);
		if (r < 0)
			return -1;
	}
	return 0;
}

static const char *answer_word(const char *response)
{
	return streq(response, "accepted") ? "Accepted"
	     : streq(response, "declined") ? "Declined"
	     : streq(response, "tentative") ? "Tentative" : NULL;
}

/* Mails the organizer of orig about an answer of the attendee (a user id). */
static int notify_organizer(as_ctx *ctx, const as_item *orig, const char *attendee_id,
			    const char *word, const char *comment, const char *more,
			    at_error *err)
{
	as_user o;
	bool found;
	const char *who;
	json_t *inv_org = json_object_get(orig->fields, "organizer");
	if (user_by_login(ctx, jstr(inv_org, "login"), &o, &found, err) < 0)
		return -1;
	if (!found)
		return 0;
	if (as_copies_who(ctx, attendee_id, "An attendee", &who, err) < 0)
		return -1;
	const char *subj = as_copies_subject(ctx->arena, jstr(orig->fields, "subject"));
	const char *text = at_arena_printf(ctx->arena, "%s: %s\nAppointment: %s\n%sComment: %s\n",
					   who, word, subj, more, as_copies_or_dash(comment));
	return as_copies_notice(ctx, &appt_copies, o.email, o.name,
				at_arena_printf(ctx->arena, "%s: %s", word, subj), text, err);
}

/* The attendee's copy `copy` (about to be written) changed its answer: the
 * organizer's appointment and the other copies learn of it. */
static int propagate(as_item_write *w, json_t *changed, at_error *err)
{
	as_ctx *ctx = w->ctx;
	as_store *s = ctx->store;
	as_item *copy = w->item;
	as_item orig = {0};
	json_t *p;
	int rc = -1;
	if (!touches(changed, answer_fields)) {
		rc = 0;
		goto done;
	}
	if (as_copies_original(ctx, &appt_copies, copy, &orig, &p, err) < 0)
		goto done;
	if (p == NULL) {
		rc = 0;  /* the organizer's appointment is gone, or the attendee removed */
		goto done;
	}
	json_t *f = copy->fields;
	const char *response = jstr(f, "response");
	const char *comment = jstr(f, "responseComment");
	bool dirty = false;
	dirty |= as_copies_set(p, "status", json_string(response != NULL ? response : "none"));
	dirty |= as_copies_set(p, "comment", comment != NULL ? json_string(comment) : NULL);
	dirty |= as_copies_carry(p, f, "proposedStart");
	dirty |= as_copies_carry(p, f, "proposedEnd");
	if (dirty) {
		bump(&orig, "participants", w->modseq);
		if (s->ops->item_put(s, &orig, false, err) < 0 ||
		    spread_participants(ctx, &orig, copy->id, w->modseq, err) < 0)
			goto done;
		if (as_copies_carry(copy->fields, orig.fields, "participants"))
			bump(copy, "participants", w->modseq);
	}
	const char *before = w->old != NULL ? jstr(w->old, "response") : NULL;
	const char *word = answer_word(response);
	const char *ps = jstr(f, "proposedStart"), *pe = jstr(f, "proposedEnd");
	bool proposal = ps != NULL && (json_object_get(changed, "proposedStart") != NULL ||
				       json_object_get(changed, "proposedEnd") != NULL);
	const char *more = proposal ? at_arena_printf(ctx->arena, "Proposed time: %s to %s\n",
						      ps, as_copies_or_dash(pe)) : "";
	if (word != NULL && !streq(before, response)) {
		if (notify_organizer(ctx, &orig, copy->created_by, word, comment, more, err) < 0)
			goto done;
	} else if (proposal) {
		if (notify_organizer(ctx, &orig, copy->created_by, "New time proposed", comment,
				     more, err) < 0)
			goto done;
	}
	rc = 0;
done:
	as_item_clear(&orig);
	return rc;
}

/* A copy the attendee deleted: the other copies and the organizer learn
 * it was declined. */
static int copy_declined(as_ctx *ctx, const as_item *orig, const as_item *copy, int64_t modseq,
			 at_error *err)
{
	if (spread_participants(ctx, orig, copy->id, modseq, err) < 0)
		return -1;
	return notify_organizer(ctx, orig, copy->created_by, "Declined",
				jstr(copy->fields, "responseComment"),
				"The attendee deleted the appointment from their calendar.\n", err);
}

/* --- the hooks ------------------------------------------------------------------------- */

/* The server's members of the participants come from the stored item
 * (the statuses too, unless the organizer is someone outside: then the
 * appointment is not one the server manages). */
static void appt_filter_sent(json_t *sent, json_t *stored)
{
	json_object_del(sent, "invitation");
	json_t *parts = json_object_get(sent, "participants");
	if (!json_is_array(parts))
		return;
	json_t *org = json_object_get(sent, "organizer");
	if (org == NULL && stored != NULL)
		org = json_object_get(stored, "organizer");
	bool outside = (stored == NULL || !is_copy(stored)) && json_is_object(org) &&
		       jstr(org, "login") == NULL;
	json_t *old_parts = stored != NULL ? json_object_get(stored, "participants") : NULL;
	size_t i;
	json_t *p;
	json_array_foreach(parts, i, p) {
		if (!json_is_object(p))
			continue;
		const char *type = jstr(p, "type");
		bool ext = streq(type, "external");
		json_t *q = same_participant(old_parts, p);
		for (const char *const *m = server_members; *m != NULL; m++) {
			json_object_del(p, *m);
			if (q != NULL)
				as_copies_carry(p, q, *m);
		}
		if (ext || outside)
			continue;
		/* a value of the wrong form is left for the model check to refuse */
		const char *st = jstr(p, "status");
		if (json_object_get(p, "status") == NULL || streq(st, "none") || streq(st, "accepted") ||
		    streq(st, "declined") || streq(st, "tentative"))
			json_object_del(p, "status");
		if (json_is_string(json_object_get(p, "comment")))
			json_object_del(p, "comment");
		if (q != NULL) {
			as_copies_carry(p, q, "status");
			as_copies_carry(p, q, "comment");
		}
	}
}

static int appt_before_write(as_item_write *w, at_error *ie, at_error *err)
{
	json_t *changed = json_object();
	w->state = json_pack("{s:o}", "changed", changed);
	const char *k;
	json_t *v;
	json_object_foreach(w->sent, k, v)
		json_object_set_new(changed, k, json_true());
	json_t *f = w->item->fields;
	if (is_copy(f)) {
		json_object_foreach(w->sent, k, v)
			if (!in_list(k, attendee_fields))
				return as_copies_refuse(ie, k, "only the organizer changes this "
							"(an attendee answers, proposes a time, "
							"and keeps their reminder, show-as, "
							"label, categories and notes)", NULL);
		return 0;
	}
	if (!managed(f))
		return 0;
	json_object_set_new(w->state, "managed", json_true());
	return organizer_before_write(w, changed, ie, err);
}

static int appt_after_write(as_item_write *w, at_error *err)
{
	json_t *changed = json_object_get(w->state, "changed");
	if (is_copy(w->item->fields))
		return propagate(w, changed, err);
	if (!json_is_true(json_object_get(w->state, "managed")) ||
	    jstr(w->state, "organizer") == NULL)
		return 0;
	return organizer_after_write(w, changed, err);
}

static int appt_after_delete(as_ctx *ctx, const as_item *item, at_error *err)
{
	/* a copy: its attendee declined */
	if (json_object_get(item->fields, "invitation") != NULL)
		return as_copies_declined(ctx, &appt_copies, item, copy_declined, err);
	if (!managed(item->fields))
		return 0;
	json_t *org_f = json_object_get(item->fields, "organizer");
	as_user org;
	bool found;
	if (user_by_login(ctx, jstr(org_f, "login"), &org, &found, err) < 0)
		return -1;
	if (!found)
		return 0;
	/* cancelled: the copies go, everyone is told */
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(item->fields, "participants"), i, p) {
		if (streq(jstr(p, "type"), "external")) {
			if (jstr(p, "address") != NULL &&
			    imip(ctx, item->fields, jstr(item->fields, "uid"), "CANCEL", p, &org,
				 false, err) < 0)
				return -1;
			continue;
		}
		bool live;
		if (as_copies_delete(ctx, &appt_copies, jstr(p, "appointmentId"), item->id, NULL,
				     &live, err) < 0 ||
		    (live &&
		     notify_cancelled(ctx, item->fields, org.name, jstr(p, "login"), err) < 0))
			return -1;
	}
	return 0;
}

const as_item_hooks as_appointment_hooks = {
	.type = "appointment",
	.filter_sent = appt_filter_sent,
	.before_write = appt_before_write,
	.after_write = appt_after_write,
	.after_delete = appt_after_delete,
};
