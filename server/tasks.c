/* tasks.c — see tasks.h. */
#include "tasks.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "copies.h"
#include "log.h"
#include "model.h"
#include "protocol.h"
#include "task.h"

#define MOD "tasks"

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

/* The assignees' copies (copies.h): "delegator" names the task they copy. */
static const char *const entry_members[] = {"taskId", "taskStatus", "percentComplete", NULL};
static const as_copy_kind task_copies = {
	.type = "task", .module = AT_MODULE_TASKS, .cid_prefix = AS_TASK_COPY_CID_PREFIX,
	.back_ref = "delegator", .id_member = "taskId", .entry_members = entry_members,
	.log = MOD, .mail_word = "notice",
	.everyone_refused = "a task cannot be assigned to the whole organisation:"};

/* --- delegation: copies ------------------------------------------------------- */

static int notify_assignee(as_ctx *ctx, const as_item *orig, const as_user *delegator,
			   const char *to, const char *to_name, const char *copy_id,
			   at_error *err)
{
	at_arena *a = ctx->arena;
	json_t *f = orig->fields;
	const char *subject = as_copies_subject(a, jstr(f, "subject"));
	const char *how = copy_id != NULL
		? at_arena_printf(a, "The task is in your Tasks folder. Answer with:\n"
				  "  atrium task respond %s accept|tentative|decline\n", copy_id)
		: at_arena_printf(a, "Please answer %s <%s> by e-mail.\n", delegator->name,
				  as_copies_or_dash(delegator->email));
	const char *text = at_arena_printf(
		a, "%s (%s) assigned a task to you: %s\n\nStart: %s\nDue: %s\nPriority: %s\n\n"
		"Notes:\n%s\n\n%s", delegator->name, delegator->login, subject,
		as_copies_or_dash(jstr(f, "start")), as_copies_or_dash(jstr(f, "due")),
		as_copies_or_dash(jstr(f, "priority")), as_copies_excerpt(a, f), how);
	return as_copies_notice(ctx, &task_copies, to, to_name,
				at_arena_printf(a, "Task assigned: %s", subject), text, err);
}

/* Makes (or finds again) assignee's copy of orig.  *copy_id_r: its id, NULL
 * when the assignee has no tasks folder. */
static int make_copy(as_ctx *ctx, const as_item *orig, const as_user *delegator,
		     const as_user *assignee, int64_t modseq, const char **copy_id_r,
		     at_error *err)
{
	json_t *fields = NULL;
	const char *cid, *folder_id;
	int rc = -1;
	if (as_copies_find(ctx, &task_copies, orig->id, assignee->id, &cid, copy_id_r, err) < 0)
		goto done;
	if (*copy_id_r != NULL) {
		rc = 0;  /* made before (a replay): keep it */
		goto done;
	}
	if (as_copies_folder(ctx, &task_copies, assignee->id, &folder_id, err) < 0)
		goto done;
	if (folder_id == NULL) {
		at_warn(MOD, "user %s has no default tasks folder: no copy of task %s",
			assignee->login, orig->id);
		rc = 0;
		goto done;
	}
	fields = json_object();
	for (const char *const *k = copy_fields; *k != NULL; k++) {
		json_t *v = json_object_get(orig->fields, *k);
		if (v != NULL)
			json_object_set_new(fields, *k, json_deep_copy(v));
	}
	json_t *d = json_pack("{s:s,s:s}", "login", delegator->login, "taskId", orig->id);
	if (delegator->name != NULL && delegator->name[0] != '\0')
		json_object_set_new(d, "name", json_string(delegator->name));
	if (delegator->email != NULL && delegator->email[0] != '\0')
		json_object_set_new(d, "address", json_string(delegator->email));
	json_object_set_new(fields, "delegator", d);
	json_object_set_new(fields, "response", json_string("none"));
	at_error ie;
	if (at_model_validate(&at_model_task, fields, false, &ie) < 0) {
		at_warn(MOD, "the copy of task %s for %s is not valid (%s): not made", orig->id,
			assignee->login, ie.message);
		rc = 0;
		goto done;
	}
	const char *id = as_new_id(ctx->arena);
	if (as_copies_write_new(ctx, &task_copies, id, folder_id, assignee->id, cid, fields,
				modseq, err) < 0)
		goto done;
	*copy_id_r = id;
	if (notify_assignee(ctx, orig, delegator, assignee->email, assignee->name, id, err) < 0)
		goto done;
	rc = 0;
done:
	json_decref(fields);
	return rc;
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
			/* a live copy gets the content; a gone one is declined */
			as_item copy = {0};
			bool live;
			int r = as_copies_linked(ctx, &task_copies, p, it->id, &copy, &live, err);
			if (r == 0 && live) {
				json_object_set_new(kept, task_id, json_true());
				bool dirty = content_changed &&
					as_copies_carry_fields(&copy, it->fields, content_fields,
							       changed, modseq);
				if (dirty)
					r = s->ops->item_put(s, &copy, false, err);
			}
			as_item_clear(&copy);
			if (r < 0)
				goto done;
			parts_changed |= !live;
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
		if (as_copies_delete(ctx, &task_copies, task_id, it->id, NULL, NULL, err) < 0)
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
	as_user d;
	bool found;
	const char *word = answer_word(response), *who;
	if (word == NULL)
		return 0;
	if (user_by_id(ctx, orig->created_by, &d, &found, err) < 0)
		return -1;
	if (!found)
		return 0;
	if (as_copies_who(ctx, assignee_id, "The assignee", &who, err) < 0)
		return -1;
	const char *subject = as_copies_subject(ctx->arena, jstr(orig->fields, "subject"));
	const char *text = at_arena_printf(ctx->arena, "%s %s your task: %s\n%s\nComment: %s\n",
					   who, word, subject, why, as_copies_or_dash(comment));
	return as_copies_notice(ctx, &task_copies, d.email, d.name,
				at_arena_printf(ctx->arena, "Task %s: %s", word, subject), text,
				err);
}

/* The assignee's side: copy (about to be written) changed its answer or
 * progress; the delegator's task learns of it. */
static int propagate(as_ctx *ctx, const as_item *copy, json_t *old, json_t *changed,
		     int64_t modseq, at_error *err)
{
	as_store *s = ctx->store;
	as_item orig = {0};
	json_t *p;
	int rc = -1;
	if (!touches(changed, answer_fields)) {
		rc = 0;
		goto done;
	}
	if (as_copies_original(ctx, &task_copies, copy, &orig, &p, err) < 0)
		goto done;
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
	dirty |= as_copies_set(p, "status", json_string(response != NULL ? response : "none"));
	dirty |= as_copies_set(p, "comment", comment != NULL ? json_string(comment) : NULL);
	dirty |= as_copies_set(p, "taskStatus",
			       json_string(status != NULL ? status : "notStarted"));
	dirty |= as_copies_set(p, "percentComplete",
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
	n.field_versions = as_copies_versions(n.fields, modseq);
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

/* A user entry without a copy yet (but the delegator) must name a user. */
static int check_assignee(as_ctx *ctx, json_t *p, const char *field, const char *self,
			  at_error *ie, at_error *err)
{
	const char *login = jstr(p, "login");
	as_user u;
	bool found;
	if (!streq(jstr(p, "type"), "user") || jstr(p, "taskId") != NULL || streq(login, self))
		return 0;
	if (user_by_login(ctx, login, &u, &found, err) < 0)
		return -1;
	return found ? 0 : as_copies_refuse(ie, field, "no user with the login", login);
}

/* Group participants become their members (users not listed already,
 * except the delegator); every user without a copy yet must exist.
 * *expanded_r: the list changed. */
static int expand_participants(as_item_write *w, at_error *ie, at_error *err,
			       bool *expanded_r)
{
	json_t *parts = json_object_get(w->item->fields, "participants");
	as_user delegator;
	bool found;
	*expanded_r = false;
	if (!json_is_array(parts) || json_array_size(parts) == 0)
		return 0;
	if (user_by_id(w->ctx, w->item->created_by, &delegator, &found, err) < 0)
		return -1;
	return as_copies_expand(w->ctx, &task_copies, w->item->fields,
				found ? delegator.login : NULL, check_assignee, expanded_r, ie, err);
}

static int task_before_write(as_item_write *w, at_error *ie, at_error *err)
{
	as_item *it = w->item;
	json_t *f = it->fields, *norm = NULL, *next = NULL;
	int rc = 1;
	int64_t now = as_clock_now();
	bool copy = json_object_get(f, "delegator") != NULL;
	if (copy && json_object_get(w->sent, "participants") != NULL) {
		rc = as_copies_refuse(ie, "participants", "a delegated task cannot be delegated "
				      "further by its assignee (ask the delegator)", NULL);
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

/* A copy the assignee deleted: the delegator learns it was declined. */
static int copy_declined(as_ctx *ctx, const as_item *orig, const as_item *copy, int64_t modseq,
			 at_error *err)
{
	(void)modseq;
	return notify_delegator(ctx, orig, copy->created_by, "declined",
				jstr(copy->fields, "responseComment"),
				"The assignee deleted their copy of the task.", err);
}

static int task_after_delete(as_ctx *ctx, const as_item *item, at_error *err)
{
	/* a copy: its assignee declined */
	if (json_object_get(item->fields, "delegator") != NULL)
		return as_copies_declined(ctx, &task_copies, item, copy_declined, err);
	/* the original: its copies go with it */
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(item->fields, "participants"), i, p)
		if (as_copies_delete(ctx, &task_copies, jstr(p, "taskId"), item->id, NULL, NULL,
				     err) < 0)
			return -1;
	return 0;
}

const as_item_hooks as_task_hooks = {
	.type = "task",
	.filter_sent = task_filter_sent,
	.before_write = task_before_write,
	.after_write = task_after_write,
	.after_delete = task_after_delete,
};
