/* test_fields.c — patches and the three-way merge of field sets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "fields.h"

static json_t *j(const char *text)
{
	json_t *v = json_loads(text, 0, NULL);
	assert_non_null(v);
	return v;
}

static void assert_json(json_t *got, const char *want)
{
	json_t *w = j(want);
	if (!json_equal(got, w)) {
		char *g = json_dumps(got, JSON_SORT_KEYS);
		fail_msg("got %s, want %s", g, want);
	}
	json_decref(w);
}

static void test_patch(void **state)
{
	json_t *base = j("{\"a\":\"1\",\"b\":\"2\",\"c\":[\"x\"]}");
	json_t *cur = j("{\"a\":\"1\",\"b\":\"3\",\"d\":true}");
	json_t *p = ac_fields_patch(base, cur);
	assert_json(p, "{\"b\":\"3\",\"c\":null,\"d\":true}");
	json_t *applied = json_deep_copy(base);
	ac_fields_apply(applied, p);
	assert_true(json_equal(applied, cur));
	json_decref(p);
	p = ac_fields_patch(NULL, cur);
	assert_true(json_equal(p, cur));
	json_decref(p);
	p = ac_fields_patch(cur, cur);
	assert_int_equal(json_object_size(p), 0);
	json_decref(p);
	json_decref(applied);
	json_decref(base);
	json_decref(cur);
}

static void test_merge(void **state)
{
	json_t *base = j("{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\",\"e\":\"5\"}");
	/* local: b changed, c removed, d added, e changed */
	json_t *local = j("{\"a\":\"1\",\"b\":\"L\",\"d\":\"L\",\"e\":\"L\"}");
	/* server: a changed, e changed differently, f added */
	json_t *server = j("{\"a\":\"S\",\"b\":\"2\",\"c\":\"3\",\"e\":\"S\",\"f\":\"S\"}");
	json_t *lost = NULL;
	json_t *m = ac_fields_merge(base, local, server, AT_POLICY_SERVER, &lost);
	assert_json(m, "{\"a\":\"S\",\"b\":\"L\",\"d\":\"L\",\"e\":\"S\",\"f\":\"S\"}");
	assert_json(lost, "{\"e\":\"L\"}");
	json_decref(m);
	json_decref(lost);
	m = ac_fields_merge(base, local, server, AT_POLICY_CLIENT, &lost);
	assert_json(m, "{\"a\":\"S\",\"b\":\"L\",\"d\":\"L\",\"e\":\"L\",\"f\":\"S\"}");
	assert_json(lost, "{\"e\":\"S\"}");
	json_decref(m);
	json_decref(lost);
	/* both made the same change: no conflict */
	json_t *same = j("{\"a\":\"1\",\"b\":\"L\",\"c\":\"3\",\"e\":\"5\"}");
	m = ac_fields_merge(base, local, same, AT_POLICY_SERVER, &lost);
	assert_null(lost);
	assert_json(m, "{\"a\":\"1\",\"b\":\"L\",\"d\":\"L\",\"e\":\"L\"}");
	json_decref(m);
	json_decref(same);
	json_decref(base);
	json_decref(local);
	json_decref(server);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_patch),
		cmocka_unit_test(test_merge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
