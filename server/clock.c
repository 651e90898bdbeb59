/* clock.c — the server's idea of "now": the system clock, or the time
 * written in a clock file (tests and demonstrations).  See clock.h. */
#include "clock.h"

#include <errno.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

#define CLOCK_FILE_MAX 128

static char *clock_path;
/* The last problem logged, so each distinct one is logged once. */
static pthread_mutex_t clock_lock = PTHREAD_MUTEX_INITIALIZER;
static char clock_problem[160];

void as_clock_set_file(const char *path)
{
	free(clock_path);
	clock_path = NULL;
	if (path && *path) {
		clock_path = strdup(path);
		if (!clock_path)
			at_warn("clock", "out of memory: using the system clock");
	}
}

static void clock_complain(const char *fmt, const char *detail)
{
	char msg[sizeof clock_problem];
	snprintf(msg, sizeof msg, fmt, detail);
	pthread_mutex_lock(&clock_lock);
	if (strcmp(msg, clock_problem) != 0) {
		snprintf(clock_problem, sizeof clock_problem, "%s", msg);
		at_warn("clock", "%s (%s): using the system clock", msg, clock_path);
	}
	pthread_mutex_unlock(&clock_lock);
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int parse_clock(const char *s, int64_t *t_r)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' ||
		     s[n - 1] == '\t'))
		n--;
	if (n == 0)
		return -1;
	char buf[CLOCK_FILE_MAX];
	if (n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = 0;
	size_t i = 0;
	if (buf[0] == '-')
		i = 1;
	size_t k = i;
	while (buf[k] >= '0' && buf[k] <= '9')
		k++;
	if (k == n && k > i) {
		errno = 0;
		char *end;
		long long v = strtoll(buf, &end, 10);
		if (errno || *end)
			return -1;
		*t_r = v;
		return 0;
	}
	/* YYYY-MM-DDTHH:MM:SSZ, digits where digits belong */
	static const char pattern[] = "dddd-dd-ddTdd:dd:ddZ";
	if (n != sizeof(pattern) - 1)
		return -1;
	for (size_t j = 0; j < n; j++)
		if (pattern[j] == 'd' ? !(buf[j] >= '0' && buf[j] <= '9') : buf[j] != pattern[j])
			return -1;
	int y = atoi(buf), mo = atoi(buf + 5), d = atoi(buf + 8), h = atoi(buf + 11),
	    mi = atoi(buf + 14), se = atoi(buf + 17);
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59)
		return -1;
	*t_r = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	return 0;
}

int64_t as_clock_now(void)
{
	if (!clock_path)
		return (int64_t)time(NULL);
	FILE *f = fopen(clock_path, "r");
	if (!f) {
		clock_complain("cannot read the clock file: %s", strerror(errno));
		return (int64_t)time(NULL);
	}
	char buf[CLOCK_FILE_MAX];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	int64_t t;
	if (parse_clock(buf, &t) < 0) {
		clock_complain("clock file does not hold seconds or an instant "
			       "(YYYY-MM-DDTHH:MM:SSZ)%s", "");
		return (int64_t)time(NULL);
	}
	pthread_mutex_lock(&clock_lock);
	clock_problem[0] = 0;
	pthread_mutex_unlock(&clock_lock);
	return t;
}
