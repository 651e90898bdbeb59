/* model_task.c — the task item type of the model (model.h): its field table
 * (DESIGN §3; the manual's Table 6.3 and task dialog, the details tab
 * included) and its checks across fields.
 *
 * A task series is one item: the live occurrence with its rule (rrule, or
 * regenerate N units after completion).  Completing it leaves it as a
 * completed task without a rule and the server writes the next occurrence
 * as a new item (task.h, at_task_next()).  Delegation: the delegator's task
 * lists its assignees in participants (each with the server id of the
 * assignee's copy, that copy's answer and progress); a copy names its
 * delegator and carries the assignee's answer in response/responseComment.
 * participants[].taskId, participants[].taskStatus,
 * participants[].percentComplete and delegator are written by the server
 * only (task.h, at_task_server_fields). */
#include "model.h"

#include <stdio.h>
#include <string.h>

#include "blob.h"
#include "task.h"

static const char *const status_values[] = {"notStarted", "inProgress", "completed",
					     "waiting", "deferred", NULL};
static const char *const priority_values[] = {"low", "normal", "high", NULL};
static const char *const ptype_values[] = {"user", "group", "external", NULL};
static const char *const answer_values[] = {"none", "accepted", "declined", "tentative", NULL};
static const char *const unit_values[] = {"day", "week", "month", "year", NULL};

#define F(n, ty, len, items, lbl, ...) \
	{.name = n, .type = ty, .max_len = len, .max_items = items, .label = lbl, __VA_ARGS__}
#define TEXT(n, len, label) F(n, AT_FT_TEXT, len, 0, label)
#define N(a) (sizeof(a) / sizeof((a)[0]))

static int check_assignee(const at_field_def *f, json_t *o, const char *path, at_error *err)
{
	const char *type = json_string_value(json_object_get(o, "type"));
	bool external = type != NULL && strcmp(type, "external") == 0;
	const char *need = external ? "address" : "login";
	if (json_string_length(json_object_get(o, need)) == 0)
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, path,
				    "%s: a participant of type %s needs a%s %s", path,
				    type != NULL ? type : "?", external ? "n" : "", need);
	return 0;
}

static const at_field_def participant_members[] = {
	F("type", AT_FT_ENUM, 0, 0, "user, group or external", .values = ptype_values,
	 .flags = AT_FF_REQUIRED),
	TEXT("login", 64, "login of a user, name of a group"),
	TEXT("address", 320, "e-mail address (external participants)"),
	TEXT("name", 256, "display name"),
	F("status", AT_FT_ENUM, 0, 0, "answer: none, accepted, declined, tentative",
	 .values = answer_values),
	TEXT("comment", 1024, "the assignee's comment"),
	TEXT("taskId", AT_MAX_ID_LEN, "the assignee's copy (set by the server)"),
	F("taskStatus", AT_FT_ENUM, 0, 0, "the assignee's status (set by the server)",
	 .values = status_values),
	F("percentComplete", AT_FT_INT, 0, 0, "the assignee's % complete (set by the server)",
	 .min = 0, .max = 100),
};

static const at_field_def delegator_members[] = {
	TEXT("login", 64, "login of the delegator"),
	TEXT("name", 256, "display name"),
	TEXT("address", 320, "e-mail address"),
	TEXT("taskId", AT_MAX_ID_LEN, "the delegator's task"),
};

static const at_field_def regenerate_members[] = {
	F("every", AT_FT_INT, 0, 0, "how many units after completion", .min = 1, .max = 999,
	 .flags = AT_FF_REQUIRED),
	F("unit", AT_FT_ENUM, 0, 0, "day, week, month or year", .values = unit_values,
	 .flags = AT_FF_REQUIRED),
};

static const at_field_def task_fields[] = {
	TEXT("subject", 255, "subject"),
	F("start", AT_FT_DATETIME, 0, 0, "start date"),
	F("due", AT_FT_DATETIME, 0, 0, "due date"),
	F("timeZone", AT_FT_ZONE, 64, 0, "time zone of the dates and the rule"),
	F("status", AT_FT_ENUM, 0, 0,
	 "status: notStarted, inProgress, completed, waiting, deferred", .values = status_values),
	F("priority", AT_FT_ENUM, 0, 0, "priority: low, normal, high", .values = priority_values),
	F("percentComplete", AT_FT_INT, 0, 0, "% complete", .min = 0, .max = 100),
	F("dateCompleted", AT_FT_DATETIME, 0, 0, "date completed"),
	F("reminder", AT_FT_DATETIME, 0, 0, "reminder time"),
	F("notes", AT_FT_LONGTEXT, 65536, 0, "notes"),
	F("categories", AT_FT_TEXT_LIST, 128, 64, "categories"),
	F("private", AT_FT_BOOL, 0, 0, "private (visible to its creator only)"),
	F("contacts", AT_FT_TEXT_LIST, 256, 64, "linked contacts (names)"),
	F("totalWorkMinutes", AT_FT_INT, 0, 0, "total work (minutes)", .min = 0,
	 .max = 2147483647),
	F("actualWorkMinutes", AT_FT_INT, 0, 0, "actual work (minutes)", .min = 0,
	 .max = 2147483647),
	TEXT("companies", 255, "companies"),
	TEXT("mileage", 255, "mileage"),
	TEXT("billingInformation", 255, "billing information"),
	TEXT("rrule", AT_RECUR_MAX_RULE_LEN, "recurrence rule"),
	F("regenerate", AT_FT_OBJECT, 0, 0, "regenerate after completion",
	 .members = regenerate_members, .n_members = N(regenerate_members)),
	F("participants", AT_FT_OBJECT_LIST, 0, 512, "assignees",
	 .members = participant_members, .n_members = N(participant_members),
	 .check = check_assignee),
	F("delegator", AT_FT_OBJECT, 0, 0, "who delegated this task (set by the server)",
	 .members = delegator_members, .n_members = N(delegator_members)),
	F("response", AT_FT_ENUM, 0, 0, "the assignee's answer: none, accepted, declined, tentative",
	 .values = answer_values),
	TEXT("responseComment", 1024, "the assignee's comment"),
	TEXT("uid", 255, "iCalendar UID"),
	F("sequence", AT_FT_INT, 0, 0, "iCalendar SEQUENCE", .min = 0, .max = 2147483647),
	F("icalExtra", AT_FT_LONGTEXT, 65536, 0, "other iCalendar data"),
	AT_BLOB_ATTACHMENTS_FIELD,
};

static void task_title(json_t *fields, char *buf, size_t size)
{
	json_t *s = json_object_get(fields, "subject");
	if (json_is_string(s) && json_string_length(s) > 0)
		snprintf(buf, size, "%s", json_string_value(s));
	else
		snprintf(buf, size, "(no subject)");
}

static int check_task_item(const at_item_type *type, json_t *fields, bool patch, at_error *err)
{
	(void)type;
	return at_task_check(fields, patch, err);
}

const at_item_type at_model_task = {
	"task", AT_MODULE_TASKS, task_fields, N(task_fields), check_task_item, task_title,
};
