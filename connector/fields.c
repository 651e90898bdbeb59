/* fields.c — see fields.h. */
#include "fields.h"

#include "common.h"

json_t *ac_fields_patch(json_t *base, json_t *current)
{
	json_t *patch = json_object();
	const char *k;
	json_t *v;
	json_object_foreach(current, k, v) {
		if (!ac_json_eq(v, json_object_get(base, k)))
			json_object_set(patch, k, v);
	}
	json_object_foreach(base, k, v) {
		if (json_object_get(current, k) == NULL)
			json_object_set_new(patch, k, json_null());
	}
	return patch;
}

void ac_fields_apply(json_t *fields, json_t *patch)
{
	const char *k;
	json_t *v;
	json_object_foreach(patch, k, v) {
		if (json_is_null(v))
			json_object_del(fields, k);
		else
			json_object_set(fields, k, v);
	}
}

/* One field of the three-way merge: b base, l local, s server (NULL = not
 * set).  out starts as the server state. */
static void merge_field(json_t *out, json_t *lost, const char *k, json_t *b, json_t *l,
			json_t *s, at_policy policy)
{
	if (ac_json_eq(l, b) || ac_json_eq(l, s))
		return;  /* local unchanged, or both agree: out already has s */
	if (ac_json_eq(s, b)) {
		/* only the local side changed it */
		if (l == NULL)
			json_object_del(out, k);
		else
			json_object_set(out, k, l);
		return;
	}
	/* both changed it, differently */
	if (policy == AT_POLICY_SERVER) {
		json_object_set(lost, k, l != NULL ? l : json_null());
	} else {
		json_object_set(lost, k, s != NULL ? s : json_null());
		if (l == NULL)
			json_object_del(out, k);
		else
			json_object_set(out, k, l);
	}
}

json_t *ac_fields_merge(json_t *base, json_t *local, json_t *server, at_policy policy,
			json_t **lost_r)
{
	json_t *out = json_is_object(server) ? json_deep_copy(server) : json_object();
	json_t *lost = json_object();
	const char *k;
	json_t *v;
	json_object_foreach(local, k, v) {
		merge_field(out, lost, k, json_object_get(base, k), v,
			    json_object_get(server, k), policy);
	}
	json_object_foreach(base, k, v) {
		if (json_object_get(local, k) == NULL)
			merge_field(out, lost, k, v, NULL, json_object_get(server, k), policy);
	}
	if (lost_r != NULL && json_object_size(lost) > 0)
		*lost_r = json_incref(lost);
	else if (lost_r != NULL)
		*lost_r = NULL;
	json_decref(lost);
	return out;
}
