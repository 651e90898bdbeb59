/* model_appointment.c — the appointment item type of the model (model.h):
 * its field table (DESIGN §3; the manual's Table 6.2 and appointment dialog,
 * fields the old server dropped included) and its checks across fields.
 *
 * A recurring series is one item (rrule, rdates, exdates, overrides), as in
 * Exchange and Outlook, so a series syncs, conflicts and is deleted as one
 * thing; appointment.h reads it.  Limits: every text has a length, every
 * list a number of entries, and a whole item stays far below the request
 * limit (overrides carry no recurrence fields of their own).
 *
 * Invitations: an attendee's copy names the organizer's appointment in
 * `invitation` and carries the attendee's answer (response,
 * responseComment, proposedStart/proposedEnd); the organizer's
 * participants[] get appointmentId, proposedStart and proposedEnd from
 * the server (server/invitations.c). */
#include "model.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "appointment.h"
#include "blob.h"

static const char *const label_values[] = {
	"none", "important", "business", "personal", "vacation", "mustAttend",
	"travelRequired", "needsPreparation", "birthday", "anniversary", "phoneCall", NULL,
};
static const char *const show_as_values[] = {"free", "tentative", "busy", "outOfOffice", NULL};
static const char *const ptype_values[] = {"user", "group", "resource", "external", NULL};
static const char *const pstatus_values[] = {"none", "accepted", "declined", "tentative", NULL};
static const char *const prole_values[] = {"required", "optional", "chair", "nonParticipant",
					    NULL};
static const char *const response_values[] = {"none", "accepted", "tentative", "declined", NULL};

#define F(n, ty, len, items, lbl, ...) \
	{.name = n, .type = ty, .max_len = len, .max_items = items, .label = lbl, __VA_ARGS__}
#define TEXT(n, len, label) F(n, AT_FT_TEXT, len, 0, label)
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* icalParams: ";NAME=VALUE" repeated, values plain or quoted (RFC 5545
 * §3.1 param syntax), as the iCalendar writer puts them out verbatim. */
static bool params_ok(const char *s)
{
	const char *p = s;
	while (*p != '\0') {
		if (*p++ != ';')
			return false;
		const char *name = p;
		while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		       (*p >= '0' && *p <= '9') || *p == '-')
			p++;
		if (p == name || *p++ != '=')
			return false;
		for (;;) {
			if (*p == '"') {
				p++;
				while (*p != '\0' && *p != '"')
					p++;
				if (*p++ != '"')
					return false;
			} else {
				while (*p != '\0' && *p != ';' && *p != ':' && *p != ',' && *p != '"')
					p++;
				if (*p == ':' || *p == '"')
					return false;
			}
			if (*p != ',')
				break;
			p++;
		}
		if (*p != '\0' && *p != ';')
			return false;
	}
	return true;
}

static int check_params(json_t *o, const char *path, at_error *err)
{
	json_t *v = json_object_get(o, "icalParams");
	if (v != NULL && !params_ok(json_string_value(v)))
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, path,
				    "%s.icalParams is not a list of iCalendar parameters "
				    "(;NAME=VALUE;...)", path);
	return 0;
}

/* who: "participants[2]" */
static int check_participant(const at_field_def *f, json_t *o, const char *path,
			     at_error *err)
{
	const char *type = json_string_value(json_object_get(o, "type"));
	bool external = type != NULL && strcmp(type, "external") == 0;
	const char *need = external ? "address" : "login";
	if (json_object_get(o, need) == NULL || json_string_length(json_object_get(o, need)) == 0)
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, path,
				    "%s: a participant of type %s needs a%s %s", path,
				    type != NULL ? type : "?", external ? "n" : "", need);
	return check_params(o, path, err);
}

static int check_organizer(const at_field_def *f, json_t *o, const char *path, at_error *err)
{
	if (json_string_length(json_object_get(o, "login")) == 0 &&
	    json_string_length(json_object_get(o, "address")) == 0)
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, path,
				    "%s needs a login or an address", path);
	return check_params(o, path, err);
}

static const at_field_def participant_members[] = {
	F("type", AT_FT_ENUM, 0, 0, "user, group, resource or external",
	 .values = ptype_values, .flags = AT_FF_REQUIRED),
	TEXT("login", 64, "login of a user or resource, name of a group"),
	TEXT("address", 320, "e-mail address (external participants)"),
	TEXT("name", 256, "display name"),
	F("status", AT_FT_ENUM, 0, 0, "confirmation: none, accepted, declined, tentative",
	 .values = pstatus_values),
	F("role", AT_FT_ENUM, 0, 0, "required, optional, chair, nonParticipant",
	 .values = prole_values),
	F("rsvp", AT_FT_BOOL, 0, 0, "a reply is expected"),
	TEXT("comment", 1024, "the participant's comment"),
	TEXT("appointmentId", AT_MAX_ID_LEN, "the participant's copy (set by the server)"),
	F("proposedStart", AT_FT_DATETIME, 0, 0,
	 "start the participant proposes (set by the server)"),
	F("proposedEnd", AT_FT_DATETIME, 0, 0, "end the participant proposes (set by the server)"),
	TEXT("icalParams", 4096, "iCalendar parameters Atrium does not map (kept verbatim)"),
};

/* On an attendee's copy: the organizer's appointment it was made from. */
static const at_field_def invitation_members[] = {
	TEXT("appointmentId", AT_MAX_ID_LEN, "the organizer's appointment"),
	TEXT("login", 64, "login of the organizer"),
};

static const at_field_def organizer_members[] = {
	TEXT("login", 64, "login of a user"),
	TEXT("address", 320, "e-mail address"),
	TEXT("name", 256, "display name"),
	TEXT("icalParams", 4096, "iCalendar parameters Atrium does not map (kept verbatim)"),
};

#define PARTICIPANTS \
	F("participants", AT_FT_OBJECT_LIST, 0, 512, "participants", \
	 .members = participant_members, .n_members = N(participant_members), \
	 .check = check_participant)

/* An override: the occurrence it replaces and the fields that differ. */
static const at_field_def override_members[] = {
	F("recurrenceId", AT_FT_DATETIME, 0, 0, "original start of the occurrence",
	 .flags = AT_FF_REQUIRED),
	F("start", AT_FT_DATETIME, 0, 0, "start of this occurrence"),
	F("end", AT_FT_DATETIME, 0, 0, "end of this occurrence"),
	TEXT("subject", 255, "subject"),
	TEXT("location", 255, "location"),
	F("label", AT_FT_ENUM, 0, 0, "label colour", .values = label_values),
	F("reminderMinutes", AT_FT_INT, 0, 0, "reminder (minutes before)",
	 .min = 0, .max = 525600),
	F("showAs", AT_FT_ENUM, 0, 0, "show time as", .values = show_as_values),
	F("notes", AT_FT_LONGTEXT, 65536, 0, "notes"),
	F("categories", AT_FT_TEXT_LIST, 128, 64, "categories"),
	PARTICIPANTS,
	F("icalExtra", AT_FT_LONGTEXT, 65536, 0,
	 "other iCalendar data"),
};

static const at_field_def appointment_fields[] = {
	TEXT("subject", 255, "subject"),
	TEXT("location", 255, "location"),
	F("label", AT_FT_ENUM, 0, 0, "label colour", .values = label_values),
	F("start", AT_FT_DATETIME, 0, 0, "start",
	 .flags = AT_FF_REQUIRED),
	F("end", AT_FT_DATETIME, 0, 0, "end",
	 .flags = AT_FF_REQUIRED),
	F("timeZone", AT_FT_ZONE, 64, 0, "time zone"),
	F("allDay", AT_FT_BOOL, 0, 0, "all-day appointment"),
	F("reminderMinutes", AT_FT_INT, 0, 0, "reminder (minutes before)",
	 .min = 0, .max = 525600),
	F("showAs", AT_FT_ENUM, 0, 0, "show time as",
	 .values = show_as_values),
	F("notes", AT_FT_LONGTEXT, 65536, 0, "notes"),
	F("categories", AT_FT_TEXT_LIST, 128, 64, "categories"),
	F("private", AT_FT_BOOL, 0, 0, "private (visible to its creator only)"),
	F("contacts", AT_FT_TEXT_LIST, 256, 64, "linked contacts (names)"),
	F("organizer", AT_FT_OBJECT, 0, 0, "organizer", .members = organizer_members,
	 .n_members = N(organizer_members), .check = check_organizer),
	PARTICIPANTS,
	F("invitation", AT_FT_OBJECT, 0, 0, "the organizer's appointment of this copy "
	 "(set by the server)", .members = invitation_members,
	 .n_members = N(invitation_members)),
	F("response", AT_FT_ENUM, 0, 0, "the attendee's answer: none, accepted, tentative, "
	 "declined", .values = response_values),
	TEXT("responseComment", 1024, "the attendee's comment"),
	F("proposedStart", AT_FT_DATETIME, 0, 0, "start the attendee proposes"),
	F("proposedEnd", AT_FT_DATETIME, 0, 0, "end the attendee proposes"),
	TEXT("rrule", AT_RECUR_MAX_RULE_LEN, "recurrence rule"),
	F("rdates", AT_FT_DATETIME_LIST, 0, 1024, "extra occurrences"),
	F("exdates", AT_FT_DATETIME_LIST, 0, 1024, "deleted occurrences"),
	F("overrides", AT_FT_OBJECT_LIST, 0, 256, "changed occurrences",
	 .members = override_members, .n_members = N(override_members)),
	TEXT("uid", 255, "iCalendar UID"),
	F("sequence", AT_FT_INT, 0, 0, "iCalendar SEQUENCE", .min = 0, .max = 2147483647),
	F("icalExtra", AT_FT_LONGTEXT, 65536, 0,
	 "other iCalendar data"),
	AT_BLOB_ATTACHMENTS_FIELD,
};

/* No participant twice: the same login of the same type, or the same
 * address (ignoring case). */
static int check_unique_participants(json_t *list, const char *path, at_error *err)
{
	size_t n = json_array_size(list);
	for (size_t i = 0; i < n; i++) {
		json_t *a = json_array_get(list, i);
		for (size_t j = 0; j < i; j++) {
			json_t *b = json_array_get(list, j);
			const char *la = json_string_value(json_object_get(a, "login"));
			const char *lb = json_string_value(json_object_get(b, "login"));
			const char *aa = json_string_value(json_object_get(a, "address"));
			const char *ab = json_string_value(json_object_get(b, "address"));
			const char *ta = json_string_value(json_object_get(a, "type"));
			const char *tb = json_string_value(json_object_get(b, "type"));
			bool same = (la != NULL && lb != NULL && ta != NULL && tb != NULL &&
				     strcmp(ta, tb) == 0 && strcmp(la, lb) == 0) ||
				    (aa != NULL && ab != NULL && strcasecmp(aa, ab) == 0);
			if (same)
				return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM,
						    AT_RETRY_FINAL, path,
						    "%s: participant %zu is already participant %zu",
						    path, i, j);
		}
	}
	return 0;
}

static long long time_key(const at_recur_time *t)
{
	return ((((long long)t->year * 13 + t->month) * 32 + t->day) * 24 + t->hour) * 3600LL +
	       t->minute * 60 + t->second;
}

/* proposedStart/proposedEnd: both or neither, the end after the start, of
 * the kind of start (a date, a floating time or a UTC time).  A patch is
 * checked for what it holds; the merged item is checked whole. */
static int check_proposal(json_t *fields, bool patch, at_error *err)
{
	json_t *ps = json_object_get(fields, "proposedStart");
	json_t *pe = json_object_get(fields, "proposedEnd");
	bool has_s = json_is_string(ps), has_e = json_is_string(pe);
	if (!has_s && !has_e)
		return 0;
	if (has_s != has_e) {
		if (patch && (ps == NULL || pe == NULL))
			return 0;
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    has_s ? "proposedEnd" : "proposedStart",
				    "proposedStart and proposedEnd come together: %s is missing",
				    has_s ? "proposedEnd" : "proposedStart");
	}
	at_recur_time s, e;
	if (at_model_datetime_parse(json_string_value(ps), &s) < 0 ||
	    at_model_datetime_parse(json_string_value(pe), &e) < 0)
		return 0; /* the field check reports it */
	if (s.is_date != e.is_date || (s.tzid != NULL) != (e.tzid != NULL))
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    "proposedEnd",
				    "proposedEnd must be of the kind of proposedStart (a date, a "
				    "local time or a UTC time)");
	if (time_key(&e) <= time_key(&s))
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    "proposedEnd", "proposedEnd must be after proposedStart");
	json_t *st = json_object_get(fields, "start");
	at_recur_time t;
	if (json_is_string(st) && at_model_datetime_parse(json_string_value(st), &t) == 0 &&
	    (t.is_date != s.is_date || (t.tzid != NULL) != (s.tzid != NULL)))
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    "proposedStart",
				    "proposedStart must be of the kind of start (a date, a local "
				    "time or a UTC time)");
	return 0;
}

static int check_appointment(const at_item_type *type, json_t *fields, bool patch,
			     at_error *err)
{
	if (check_proposal(fields, patch, err) < 0)
		return -1;
	json_t *v = json_object_get(fields, "participants");
	if (json_is_array(v) && check_unique_participants(v, "participants", err) < 0)
		return -1;
	json_t *ov = json_object_get(fields, "overrides");
	size_t i;
	json_t *o;
	json_array_foreach(ov, i, o) {
		char path[AT_ERROR_FIELD_MAX];
		snprintf(path, sizeof(path), "overrides[%zu].participants", i);
		v = json_object_get(o, "participants");
		if (json_is_array(v) && check_unique_participants(v, path, err) < 0)
			return -1;
	}
	v = json_object_get(fields, "rrule");
	if (json_is_string(v) && at_recur_validate(json_string_value(v), err) < 0)
		return -1;
	/* icalExtra is written back into exported files: it must be iCalendar */
	v = json_object_get(fields, "icalExtra");
	if (json_is_string(v) && at_appt_ical_extra_check(json_string_value(v), err) < 0)
		return -1;
	json_array_foreach(ov, i, o) {
		v = json_object_get(o, "icalExtra");
		if (json_is_string(v) && at_appt_ical_extra_check(json_string_value(v), err) < 0) {
			char path[AT_ERROR_FIELD_MAX];
			snprintf(path, sizeof(path), "overrides[%zu].icalExtra", i);
			snprintf(err->field, sizeof(err->field), "%s", path);
			return -1;
		}
	}
	if (patch) {
		/* only what the patch holds: the pair start/end when both come */
		json_t *s = json_object_get(fields, "start"), *e = json_object_get(fields, "end");
		if (s == NULL || e == NULL || json_is_null(s) || json_is_null(e))
			return 0;
		json_t *probe = json_pack("{s:O,s:O}", "start", s, "end", e);
		at_recur_time t;
		if (at_model_datetime_parse(json_string_value(s), &t) == 0 && t.is_date)
			json_object_set_new(probe, "allDay", json_true());
		at_arena *arena = at_arena_new(0);
		at_appt a;
		int rc = at_appt_load(probe, arena, &a, err);
		at_arena_free(&arena);
		json_decref(probe);
		return rc;
	}
	return at_appt_check(fields, err);
}

static void appointment_title(json_t *fields, char *buf, size_t size)
{
	json_t *s = json_object_get(fields, "subject");
	if (json_is_string(s) && json_string_length(s) > 0)
		snprintf(buf, size, "%s", json_string_value(s));
	else
		snprintf(buf, size, "(no subject)");
}

const at_item_type at_model_appointment = {
	"appointment", AT_MODULE_CALENDAR, appointment_fields, N(appointment_fields),
	check_appointment, appointment_title,
};
