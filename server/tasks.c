/* tasks.c — see tasks.h. */
#include "tasks.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "log.h"
#include "mail.h"
#include "model.h"
#include "protocol.h"
#include "task.h"

#define MOD "tasks"
#define NOTES_EXCERPT 400   /* bytes of notes quoted in a notice */

/* What an assignee's copy gets from the delegator's task when it is made. */
static const char *const copy_fields[] = {
	"subject", "start", "due", "timeZone", "priority", "notes", "categories", "reminder",
	"private", "totalWorkMinutes", "actualWorkMinutes", "companies", "mileage",
	"billingInformation", "contacts", "status", "percentComplete", "dateCompleted", NULL,
};
/* What later changes of the delegator's task carry to every copy (the
 * assignee's own status and progress stay theirs). */
static const char *const content_fields[] = {
	"subject", "start", "due", "timeZone", "priority", "notes", "categories", "reminder",
	"private", "totalWorkMinutes", "actualWorkMinutes", "companies", "mileage",
	"billingInformation", "contacts", NULL,
};
/* What a copy's assignee writes that flows back to the delegator. */
static const char *const answer_fields[] = {
	"response", "responseComment", "status", "percentComplete", NULL,
};

/* --- small helpers ------------------------------------------------------------ */

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

/* Does the set of field names `keys` (an object used as a set) hold one of
 * list? */
static bool touches(json_t *keys, const char *const *list)
{
	for (const char *const *k = list; *k != NULL; k++)
		if (json_object_get(keys, *k) != NULL)
			return true;
	return false;
}

/* Is `copy` the live copy of the task orig_id? */
static bool copy_of(const as_item *copy, const char *orig_id)
{
	json_t *d = json_object_get(copy->fields, "delegator");
	return streq(copy->type, "task") && streq(jstr(d, "taskId"), orig_id);
}

/* Field values for a notice, "-" when absent. */
static const char *or_dash(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : "-";
}

/* A subject for a mail header: no line breaks (task subjects have none, a
 * copy of the text is made anyway). */
static const char *header_text(at_arena *a, const char *s)
{
	char *out = at_arena_strdup(a, s != NULL && s[0] != '\0' ? s : "(no subject)");
	for (char *p = out; *p != '\0'; p++)
		if (*p == '\r' || *p == '\n' || *p == '\t')
			*p = ' ';
	return out;
}

/* The first NOTES_EXCERPT bytes of the notes, cut on a character
 * boundary, with "..." when cut. */
static const char *notes_excerpt(at_arena *a, json_t *fields)
{
	const char *notes = jstr(fields, "notes");
	if (notes == NULL || notes[0] == '\0')
		return "-";
	size_t n = strlen(notes);
	if (n <= NOTES_EXCERPT)
		return notes;
	n = NOTES_EXCERPT;
	while (n > 0 && ((unsigned char)notes[n] & 0xC0) == 0x80)
		n--;
	return at_arena_printf(a, "%.*s...", (int)n, notes);
}

/* Queues a notice.  A message the mail module refuses (an address it does
 * not take) is logged and dropped: it must not refuse the task's write;
 * store failures abort as any other. */
static int notice(as_ctx *ctx, const char *to, const char *to_name, const char *subject,
		  const char *text, at_error *err)
{
	if (to == NULL || to[0] == '\0') {
		at_info(MOD, "no e-mail address for %s: notice \"%s\" not sent",
			or_dash(to_name), subject);
		return 0;
	}
	as_mail_msg m = {.to = to, .to_name = to_name, .subject = subject, .text = text};
	at_error me;
	at_error_clear(&me);
	if (as_mail_enqueue(ctx->store, &m, &me) == 0)
		return 0;
	if (strcmp(me.code, AT_E_SERVER) == 0 || strcmp(me.code, AT_E_UNAVAILABLE) == 0) {
		at_error_copy(err, &me);
		return -1;
	}
	at_warn(MOD, "notice \"%s\" to %s not queued: %s", subject, to, me.message);
	return 0;
}

static int user_by_id(as_ctx *ctx, const char *id, as_user *u_r, bool *found_r, at_error *err)
{
	return ctx->store->ops->user_get_by_id(ctx->store, id, ctx->arena, u_r, found_r, err);
}

static int user_by_login(as_ctx *ctx, const char *login, as_user *u_r, bool *found_r,
			 at_error *err)
{
	return ctx->store->ops->user_get_by_login(ctx->store, login, ctx->arena, u_r, found_r,
						  err);
}

struct default_folder {
	const char *id;
};

static int on_owned_folder(void *p, const as_folder *f)
{
	struct default_folder *d = p;
	if (d->id == NULL && f->is_default && f->module == AT_MODULE_TASKS)
		d->id = f->id;
	return 0;
}

/* The user's default tasks folder (*id_r NULL when there is none). */
static int default_tasks_folder(as_ctx *ctx, const char *user_id, const char **id_r,
				at_error *err)
{
	struct default_folder d = {NULL};
	if (ctx->store->ops->folder_list_owned(ctx->store, user_id, -1, ctx->arena,
					       on_owned_folder, &d, err) < 0)
		return -1;
	*id_r = d.id;
	return 0;
}

/* --- delegation: copies ------------------------------------------------------- */

static int notify_assignee(as_ctx *ctx, const as_item *orig, const as_user *delegator,
			   const char *to, const char *to_name, const char *copy_id,
			   at_error *err)
{
	at_arena *a = ctx->arena;
	json_t *f = orig->fields;
	const char *subject = header_text(a, jstr(f, "subject"));
	const char *how = copy_id != NULL
		? at_arena_printf(a, "The task is in your Tasks folder. Answer with:\n"
				  "  atrium task respond %s accept|tentative|decline\n", copy_id)
		: at_arena_printf(a, "Please answer %s <%s> by e-mail.\n", delegator->name,
				  or_dash(delegator->email));
	const char *text = at_arena_printf(
		a, "%s (%s) assigned a task to you: %s\n\nStart: %s\nDue: %s\nPriority: %s\n\n"
		"Notes:\n%s\n\n%s", delegator->name, delegator->login, subject,
		or_dash(jstr(f, "start")), or_dash(jstr(f, "due")),
		or_dash(jstr(f, "priority")), notes_excerpt(a, f), how);
	return notice(ctx, to, to_name, at_arena_printf(a, "Task assigned: %s", subject), text,
		      err);
}

/* Makes (or finds again) assignee's copy of orig.  *copy_id_r: its id, NULL
 * when the assignee has no tasks folder.  *made_r: it was made now. */
static int make_copy(as_ctx *ctx, const as_item *orig, const as_user *delegator,
		     const as_user *assignee, int64_t modseq, const char **copy_id_r,
		     at_error *err)
{
	as_store *s = ctx->store;
	as_item c = {0};
	const char *existing, *folder_id;
	int rc = -1;
	*copy_id_r = NULL;
	const char *cid = at_arena_printf(ctx->arena, AS_TASK_COPY_CID_PREFIX "%s:%s", orig->id,
					  assignee->id);
	if (s->ops->client_id_lookup(s, assignee->id, cid, ctx->arena, &existing, err) < 0)
		goto done;
	if (existing != NULL) {
		bool found;
		if (s->ops->item_get(s, existing, ctx->arena, &c, &found, err) < 0)
			goto done;
		if (found && copy_of(&c, orig->id)) {
			*copy_id_r = c.id;  /* made before (a replay): keep it */
			rc = 0;
			goto done;
		}
		as_item_clear(&c);
		cid = NULL;  /* that copy was deleted: the new one goes without */
	}
	if (default_tasks_folder(ctx, assignee->id, &folder_id, err) < 0)
		goto done;
	if (folder_id == NULL) {
		at_warn(MOD, "user %s has no default tasks folder: no copy of task %s",
			assignee->login, orig->id);
		rc = 0;
		goto done;
	}
	c.fields = json_object();
	for (const char *const *k = copy_fields; *k != NULL; k++) {
		json_t *v = json_object_get(orig->fields, *k);
		if (v != NULL)
			json_object_set_new(c.fields, *k, json_deep_copy(v));
	}
	json_t *d = json_pack("{s:s,s:s}", "login", delegator->login, "taskId", orig->id);
	if (delegator->name != NULL && delegator->name[0] != '\0')
		json_object_set_new(d, "name", json_string(delegator->name));
	if (delegator->email != NULL && delegator->email[0] != '\0')
		json_object_set_new(d, "address", json_string(delegator->email));
	json_object_set_new(c.fields, "delegator", d);
	json_object_set_new(c.fields, "response", json_string("none"));
	at_error ie;
	if (at_model_validate(&at_model_task, c.fields, false, &ie) < 0) {
		at_warn(MOD, "the copy of task %s for %s is not valid (%s): not made", orig->id,
			assignee->login, ie.message);
		rc = 0;
		goto done;
	}
	c.id = as_new_id(ctx->arena);
	c.folder_id = folder_id;
	c.type = "task";
	c.created_by = assignee->id;
	c.client_id = cid;
	c.field_versions = json_object();
	const char *k;
	json_t *v;
	json_object_foreach(c.fields, k, v)
		json_object_set_new(c.field_versions, k, json_integer(modseq));
	if (s->ops->item_put(s, &c, true, err) < 0)
		goto done;
	*copy_id_r = c.id;
	if (notify_assignee(ctx, orig, delegator, assignee->email, assignee->name, c.id, err) < 0)
		goto done;
	rc = 0;
done:
	as_item_clear(&c);
	return rc;
}

/* Carries the content fields named in changed from orig to its copy. */
static int update_copy(as_ctx *ctx, as_item *copy, const as_item *orig, json_t *changed,
		       int64_t modseq, at_error *err)
{
	bool dirty = false;
	for (const char *const *k = content_fields; *k != NULL; k++) {
		if (json_object_get(changed, *k) == NULL)
			continue;
		json_t *ov = json_object_get(orig->fields, *k);
		json_t *cv = json_object_get(copy->fields, *k);
		if ((ov == NULL && cv == NULL) || (ov != NULL && cv != NULL && json_equal(ov, cv)))
			continue;
		if (ov == NULL)
			json_object_del(copy->fields, *k);
		else
			json_object_set_new(copy->fields, *k, json_deep_copy(ov));
		bump(copy, *k, modseq);
		dirty = true;
	}
	if (!dirty)
		return 0;
	return ctx->store->ops->item_put(ctx->store, copy, false, err);
}

/* Is there an external participant with this address in list? */
static bool listed_external(json_t *list, const char *address)
{
	size_t i;
	json_t *p;
	json_array_foreach(list, i, p) {
		const char *a = jstr(p, "address");
		if (streq(jstr(p, "type"), "external") && a != NULL && address != NULL &&
		    strcasecmp(a, address) == 0)
			return true;
	}
	return false;
}

/* The delegator's side of a write of task `it` (about to be written; its
 * participants get their taskId and answers here): copies for new
 * assignees, content for the existing copies, deletion of the removed
 * ones, notices.  old: the stored fields (NULL: a new task); changed: the
 * names of the fields this write changed (NULL: a new task). */
static int delegate(as_ctx *ctx, as_item *it, json_t *old, json_t *changed, int64_t modseq,
		    at_error *err)
{
	as_store *s = ctx->store;
	json_t *parts = json_object_get(it->fields, "participants");
	json_t *old_parts = old != NULL ? json_object_get(old, "participants") : NULL;
	json_t *kept = json_object();
	bool parts_changed = false, found;
	int rc = -1;
	as_user delegator;
	if (json_array_size(parts) == 0 && json_array_size(old_parts) == 0) {
		rc = 0;
		goto done;
	}
	if (user_by_id(ctx, it->created_by, &delegator, &found, err) < 0)
		goto done;
	if (!found) {
		at_warn(MOD, "task %s: its creator %s is unknown; delegation skipped", it->id,
			it->created_by);
		rc = 0;
		goto done;
	}
	bool content_changed = changed != NULL && touches(changed, content_fields);
	size_t i;
	json_t *p;
	json_array_foreach(parts, i, p) {
		const char *type = jstr(p, "type");
		if (streq(type, "external")) {
			if (old == NULL || !listed_external(old_parts, jstr(p, "address"))) {
				if (notify_assignee(ctx, it, &delegator, jstr(p, "address"),
						    jstr(p, "name"), NULL, err) < 0)
					goto done;
			}
			continue;
		}
		if (!streq(type, "user"))
			continue;
		const char *task_id = jstr(p, "taskId");
		if (task_id != NULL) {
			as_item copy = {0};
			if (s->ops->item_get(s, task_id, ctx->arena, &copy, &found, err) < 0)
				goto done;
			if (found && copy_of(&copy, it->id)) {
				json_object_set_new(kept, task_id, json_true());
				int r = content_changed
					? update_copy(ctx, &copy, it, changed, modseq, err) : 0;
				as_item_clear(&copy);
				if (r < 0)
					goto done;
				continue;
			}
			as_item_clear(&copy);
			/* the copy is gone: as when its assignee deletes it */
			json_object_del(p, "taskId");
			json_object_del(p, "taskStatus");
			json_object_del(p, "percentComplete");
			json_object_set_new(p, "status", json_string("declined"));
			parts_changed = true;
			continue;
		}
		/* a declined assignee (its copy deleted) gets no new copy until
		 * the delegator sets its status back to none */
		if (streq(jstr(p, "status"), "declined"))
			continue;
		const char *login = jstr(p, "login");
		if (login == NULL || streq(login, delegator.login))
			continue;  /* the delegator is not their own assignee */
		as_user assignee;
		if (user_by_login(ctx, login, &assignee, &found, err) < 0)
			goto done;
		if (!found) {
			at_warn(MOD, "task %s: no user %s: no copy made", it->id, login);
			continue;
		}
		const char *copy_id;
		if (make_copy(ctx, it, &delegator, &assignee, modseq, &copy_id, err) < 0)
			goto done;
		if (copy_id == NULL)
			continue;
		json_object_set_new(kept, copy_id, json_true());
		json_object_set_new(p, "taskId", json_string(copy_id));
		json_object_set_new(p, "status", json_string("none"));
		const char *st = jstr(it->fields, "status");
		json_object_set_new(p, "taskStatus", json_string(st != NULL ? st : "notStarted"));
		json_t *pc = json_object_get(it->fields, "percentComplete");
		json_object_set_new(p, "percentComplete",
				    json_integer(json_is_integer(pc) ? json_integer_value(pc) : 0));
		parts_changed = true;
	}
	/* withdrawn assignees lose their copy */
	json_array_foreach(old_parts, i, p) {
		const char *task_id = jstr(p, "taskId");
		if (task_id == NULL || json_object_get(kept, task_id) != NULL)
			continue;
		as_item copy = {0};
		if (s->ops->item_get(s, task_id, ctx->arena, &copy, &found, err) < 0)
			goto done;
		int r = found && copy_of(&copy, it->id)
			? s->ops->item_delete(s, copy.id, copy.folder_id, err) : 0;
		as_item_clear(&copy);
		if (r < 0)
			goto done;
	}
	if (parts_changed)
		bump(it, "participants", modseq);
	rc = 0;
done:
	json_decref(kept);
	return rc;
}

/* --- delegation: answers -------------------------------------------------------- */

static const char *answer_word(const char *response)
{
	return streq(response, "accepted") ? "accepted"
	     : streq(response, "declined") ? "declined"
	     : streq(response, "tentative") ? "tentatively accepted" : NULL;
}

/* Mails the delegator of orig about an answer of the assignee (a user id). */
static int notify_delegator(as_ctx *ctx, const as_item *orig, const char *assignee_id,
			    const char *response, const char *comment, const char *why,
			    at_error *err)
{
	as_user d, a;
	bool found, a_found;
	const char *word = answer_word(response);
	if (word == NULL)
		return 0;
	if (user_by_id(ctx, orig->created_by, &d, &found, err) < 0)
		return -1;
	if (!found)
		return 0;
	if (user_by_id(ctx, assignee_id, &a, &a_found, err) < 0)
		return -1;
	const char *who = a_found ? at_arena_printf(ctx->arena, "%s (%s)", a.name, a.login)
				  : "The assignee";
	const char *subject = header_text(ctx->arena, jstr(orig->fields, "subject"));
	const char *text = at_arena_printf(ctx->arena, "%s %s your task: %s\n%s\nComment: %s\n",
					   who, word, subject, why, or_dash(comment));
	return notice(ctx, d.email, d.name,
		      at_arena_printf(ctx->arena, "Task %s: %s", word, subject), text, err);
}

/* The participant entry of orig whose copy is copy_id, or NULL. */
static json_t *entry_of(const as_item *orig, const char *copy_id)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(orig->fields, "participants"), i, p)
		if (streq(jstr(p, "taskId"), copy_id))
			return p;
	return NULL;
}

/* Sets member k of p to v (a new reference; NULL removes); true when it
 * changed. */
static bool set_member(json_t *p, const char *k, json_t *v)
{
	json_t *cur = json_object_get(p, k);
	if (v == NULL) {
		if (cur == NULL)
			return false;
		json_object_del(p, k);
		return true;
	}
	if (cur != NULL && json_equal(cur, v)) {
		json_decref(v);
		return false;
	}
	json_object_set_new(p, k, v);
	return true;
}

/* The assignee's side: copy (about to be written) changed its answer or
 * progress; the delegator's task learns of it. */
static int propagate(as_ctx *ctx, const as_item *copy, json_t *old, json_t *changed,
		     int64_t modseq, at_error *err)
{
	as_store *s = ctx->store;
	as_item orig = {0};
	bool found;
	int rc = -1;
	if (!touches(changed, answer_fields)) {
		rc = 0;
		goto done;
	}
	json_t *d = json_object_get(copy->fields, "delegator");
	const char *orig_id = jstr(d, "taskId");
	if (orig_id == NULL || !at_id_valid(orig_id)) {
		rc = 0;
		goto done;
	}
	if (s->ops->item_get(s, orig_id, ctx->arena, &orig, &found, err) < 0)
		goto done;
	json_t *p = found ? entry_of(&orig, copy->id) : NULL;
	if (p == NULL) {
		rc = 0;  /* the original is gone or the assignee withdrawn */
		goto done;
	}
	json_t *f = copy->fields;
	const char *response = jstr(f, "response");
	const char *comment = jstr(f, "responseComment");
	const char *status = jstr(f, "status");
	json_t *pc = json_object_get(f, "percentComplete");
	bool dirty = false;
	dirty |= set_member(p, "status", json_string(response != NULL ? response : "none"));
	dirty |= set_member(p, "comment", comment != NULL ? json_string(comment) : NULL);
	dirty |= set_member(p, "taskStatus", json_string(status != NULL ? status : "notStarted"));
	dirty |= set_member(p, "percentComplete",
			    json_integer(json_is_integer(pc) ? json_integer_value(pc) : 0));
	if (dirty) {
		bump(&orig, "participants", modseq);
		if (s->ops->item_put(s, &orig, false, err) < 0)
			goto done;
	}
	const char *before = old != NULL ? jstr(old, "response") : NULL;
	if (response != NULL && !streq(before, response)) {
		const char *why = at_arena_printf(ctx->arena, "Status: %s, %lld%% complete.",
						  status != NULL ? status : "notStarted",
						  json_is_integer(pc)
						  ? (long long)json_integer_value(pc) : 0LL);
		if (notify_delegator(ctx, &orig, copy->created_by, response, comment, why,
				     err) < 0)
			goto done;
	}
	rc = 0;
done:
	as_item_clear(&orig);
	return rc;
}

/* --- series ----------------------------------------------------------------------- */

/* Writes the next occurrence of the completed task `it` in its folder,
 * exactly once (its client id names the completed task). */
static int create_next(as_ctx *ctx, const as_item *it, json_t *next, int64_t modseq,
		       at_error *err)
{
	as_store *s = ctx->store;
	as_item n = {0};
	const char *existing;
	int rc = -1;
	const char *cid = at_arena_printf(ctx->arena, AS_TASK_NEXT_CID_PREFIX "%s", it->id);
	if (s->ops->client_id_lookup(s, it->created_by, cid, ctx->arena, &existing, err) < 0)
		goto done;
	if (existing != NULL) {
		rc = 0;  /* made already */
		goto done;
	}
	n.id = as_new_id(ctx->arena);
	n.folder_id = it->folder_id;
	n.type = "task";
	n.created_by = it->created_by;
	n.client_id = cid;
	n.fields = json_deep_copy(next);
	n.field_versions = json_object();
	const char *k;
	json_t *v;
	json_object_foreach(n.fields, k, v)
		json_object_set_new(n.field_versions, k, json_integer(modseq));
	/* a delegated series: the assignees get copies of the next one too */
	if (delegate(ctx, &n, NULL, NULL, modseq, err) < 0 ||
	    s->ops->item_put(s, &n, true, err) < 0)
		goto done;
	rc = 0;
done:
	as_item_clear(&n);
	return rc;
}

/* --- the hooks ---------------------------------------------------------------------- */

static void task_filter_sent(json_t *sent, json_t *stored)
{
	at_task_strip_server_fields(sent, stored);
}

static int refuse(at_error *ie, const char *field, const char *msg, const char *arg)
{
	at_error_set(ie, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, field, "%s: %s%s%s",
		     field, msg, arg != NULL ? " " : "", arg != NULL ? arg : "");
	at_error_scrub(ie);
	return 1;
}

/* Group participants become their members (users not listed already,
 * except the delegator); every user without a copy yet must exist.
 * *expanded_r: the list changed. */
static int expand_participants(as_item_write *w, at_error *ie, at_error *err,
			       bool *expanded_r)
{
	as_ctx *ctx = w->ctx;
	as_store *s = ctx->store;
	json_t *parts = json_object_get(w->item->fields, "participants");
	json_t *listed = NULL, *out = NULL;
	bool found;
	int rc = -1;
	*expanded_r = false;
	if (!json_is_array(parts) || json_array_size(parts) == 0)
		return 0;
	as_user delegator;
	if (user_by_id(ctx, w->item->created_by, &delegator, &found, err) < 0)
		return -1;
	const char *self = found ? delegator.login : NULL;
	listed = json_object();
	out = json_array();
	size_t i;
	json_t *p;
	json_array_foreach(parts, i, p)
		if (streq(jstr(p, "type"), "user") && jstr(p, "login") != NULL)
			json_object_set_new(listed, jstr(p, "login"), json_true());
	json_array_foreach(parts, i, p) {
		const char *type = jstr(p, "type"), *login = jstr(p, "login");
		char field[AT_ERROR_FIELD_MAX];
		snprintf(field, sizeof(field), "participants[%zu].login", i);
		if (streq(type, "user") && jstr(p, "taskId") == NULL &&
		    !streq(login, self)) {
			as_user u;
			if (user_by_login(ctx, login, &u, &found, err) < 0)
				goto done;
			if (!found) {
				rc = refuse(ie, field, "no user with the login", login);
				goto done;
			}
		}
		if (!streq(type, "group")) {
			json_array_append(out, p);
			continue;
		}
		as_group g;
		if (streq(login, AS_GROUP_EVERYONE)) {
			/* its members are implicit: every user of the server */
			rc = refuse(ie, field, "a task cannot be assigned to the whole organisation:",
				    "name people or groups");
			goto done;
		}
		if (s->ops->group_get_by_name(s, login, ctx->arena, &g, &found, err) < 0)
			goto done;
		if (!found) {
			rc = refuse(ie, field, "no group named", login);
			goto done;
		}
		for (size_t m = 0; m < g.n_members; m++) {
			const as_user *u = &g.members[m];
			if (streq(u->login, self) || json_object_get(listed, u->login) != NULL)
				continue;
			json_object_set_new(listed, u->login, json_true());
			json_t *e = json_pack("{s:s,s:s,s:s}", "type", "user", "login", u->login,
					      "status", "none");
			if (u->name != NULL && u->name[0] != '\0')
				json_object_set_new(e, "name", json_string(u->name));
			json_array_append_new(out, e);
		}
		*expanded_r = true;
	}
	if (*expanded_r)
		json_object_set(w->item->fields, "participants", out);
	rc = 0;
done:
	json_decref(listed);
	json_decref(out);
	return rc;
}

static int task_before_write(as_item_write *w, at_error *ie, at_error *err)
{
	as_item *it = w->item;
	json_t *f = it->fields, *norm = NULL, *next = NULL;
	int rc = 1;
	int64_t now = as_clock_now();
	bool copy = json_object_get(f, "delegator") != NULL;
	if (copy && json_object_get(w->sent, "participants") != NULL) {
		rc = refuse(ie, "participants", "a delegated task cannot be delegated further "
			    "by its assignee (ask the delegator)", NULL);
		goto done;
	}
	json_t *changed = json_object();
	w->state = json_pack("{s:o}", "changed", changed);
	const char *k;
	json_t *v;
	json_object_foreach(w->sent, k, v)
		json_object_set_new(changed, k, json_true());
	if (at_task_normalize(f, w->sent, now, &norm, ie) < 0)
		goto done;
	size_t i;
	json_array_foreach(norm, i, v) {
		if (!json_is_string(v))
			continue;
		bump(it, json_string_value(v), w->modseq);
		json_object_set_new(changed, json_string_value(v), json_true());
	}
	/* the rule and the item must be whole before the series moves on */
	if (at_model_validate(&at_model_task, f, false, ie) < 0)
		goto done;
	bool was_completed = w->old != NULL && at_task_is_completed(w->old);
	if (!was_completed && at_task_is_completed(f) && at_task_is_series(f)) {
		if (at_task_next(f, now, &next, ie) < 0)
			goto done;
		static const char *const rules[] = {"rrule", "regenerate"};
		for (size_t r = 0; r < 2; r++) {
			bump(it, rules[r], w->modseq);
			json_object_set_new(changed, rules[r], json_true());
		}
		if (next != NULL) {
			if (at_model_validate(&at_model_task, next, false, ie) < 0) {
				char msg[AT_ERROR_MESSAGE_MAX];
				snprintf(msg, sizeof(msg), "%s", ie->message);
				at_error_set(ie, ie->code, AT_SCOPE_ITEM, AT_RETRY_FINAL,
					     ie->field, "the next occurrence of the series: %s",
					     msg);
				goto done;
			}
			json_object_set(w->state, "next", next);
		}
	}
	if (!copy && json_object_get(w->sent, "participants") != NULL) {
		bool expanded;
		int r = expand_participants(w, ie, err, &expanded);
		if (r != 0) {
			rc = r;
			goto done;
		}
		if (expanded) {
			bump(it, "participants", w->modseq);
			json_object_set_new(changed, "participants", json_true());
		}
	}
	rc = 0;
done:
	json_decref(norm);
	json_decref(next);
	return rc;
}

static int task_after_write(as_item_write *w, at_error *err)
{
	as_item *it = w->item;
	json_t *changed = json_object_get(w->state, "changed");
	json_t *next = json_object_get(w->state, "next");
	if (next != NULL && create_next(w->ctx, it, next, w->modseq, err) < 0)
		return -1;
	if (json_object_get(it->fields, "delegator") != NULL)
		return propagate(w->ctx, it, w->old, changed, w->modseq, err);
	return delegate(w->ctx, it, w->old, w->old != NULL ? changed : NULL, w->modseq, err);
}

static int task_after_delete(as_ctx *ctx, const as_item *item, at_error *err)
{
	as_store *s = ctx->store;
	bool found;
	json_t *d = json_object_get(item->fields, "delegator");
	if (d == NULL) {
		/* the original: its copies go with it */
		size_t i;
		json_t *p;
		json_array_foreach(json_object_get(item->fields, "participants"), i, p) {
			const char *task_id = jstr(p, "taskId");
			if (task_id == NULL || !at_id_valid(task_id))
				continue;
			as_item copy = {0};
			if (s->ops->item_get(s, task_id, ctx->arena, &copy, &found, err) < 0)
				return -1;
			int r = found && copy_of(&copy, item->id)
				? s->ops->item_delete(s, copy.id, copy.folder_id, err) : 0;
			as_item_clear(&copy);
			if (r < 0)
				return -1;
		}
		return 0;
	}
	/* a copy: its assignee declined */
	const char *orig_id = jstr(d, "taskId");
	if (orig_id == NULL || !at_id_valid(orig_id))
		return 0;
	as_item orig = {0};
	int rc = -1;
	if (s->ops->item_get(s, orig_id, ctx->arena, &orig, &found, err) < 0)
		goto done;
	json_t *p = found ? entry_of(&orig, item->id) : NULL;
	if (p == NULL) {
		rc = 0;
		goto done;
	}
	int64_t modseq;
	if (s->ops->tx_modseq(s, &modseq, err) < 0)
		goto done;
	json_object_del(p, "taskId");
	json_object_del(p, "taskStatus");
	json_object_del(p, "percentComplete");
	json_object_set_new(p, "status", json_string("declined"));
	bump(&orig, "participants", modseq);
	if (s->ops->item_put(s, &orig, false, err) < 0)
		goto done;
	if (notify_delegator(ctx, &orig, item->created_by, "declined",
			     jstr(item->fields, "responseComment"),
			     "The assignee deleted their copy of the task.", err) < 0)
		goto done;
	rc = 0;
done:
	as_item_clear(&orig);
	return rc;
}

const as_item_hooks as_task_hooks = {
	.type = "task",
	.filter_sent = task_filter_sent,
	.before_write = task_before_write,
	.after_write = task_after_write,
	.after_delete = task_after_delete,
};
