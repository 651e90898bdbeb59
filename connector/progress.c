/* progress.c — see progress.h. */
#include "progress.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BAR_WIDTH 24
#define REDRAW_NS 100000000LL

struct ac_progress {
	FILE *out;
	bool enabled;
	bool drawn;
	char label[24];
	int64_t start_ns, last_ns;
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

ac_progress *ac_progress_new_forced(FILE *out, const char *label, bool force)
{
	ac_progress *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->out = out != NULL ? out : stderr;
	p->enabled = force || isatty(fileno(p->out));
	snprintf(p->label, sizeof(p->label), "%s", label != NULL ? label : "");
	p->start_ns = now_ns();
	return p;
}

ac_progress *ac_progress_new(FILE *out, const char *label)
{
	return ac_progress_new_forced(out, label, false);
}

void ac_progress_update(ac_progress *p, uint64_t done, uint64_t total)
{
	if (p == NULL || !p->enabled)
		return;
	int64_t now = now_ns();
	if (p->drawn && now - p->last_ns < REDRAW_NS && (total == 0 || done < total))
		return;
	p->last_ns = now;
	double secs = (double)(now - p->start_ns) / 1e9;
	double rate = secs > 0.05 ? (double)done / secs : 0.0;
	char line[160];
	if (total > 0) {
		char bar[BAR_WIDTH + 1];
		uint64_t d = done > total ? total : done;
		size_t fill = (size_t)(d * BAR_WIDTH / total);
		memset(bar, '#', fill);
		memset(bar + fill, '.', BAR_WIDTH - fill);
		bar[BAR_WIDTH] = '\0';
		snprintf(line, sizeof(line), "%s [%s] %llu/%llu items  %.1f items/s",
			 p->label, bar, (unsigned long long)done,
			 (unsigned long long)total, rate);
	} else {
		snprintf(line, sizeof(line), "%s: %llu items  %.1f items/s", p->label,
			 (unsigned long long)done, rate);
	}
	fprintf(p->out, "\r%s\033[K", line);
	fflush(p->out);
	p->drawn = true;
}

void ac_progress_cb(void *arg, uint64_t done, uint64_t total)
{
	ac_progress_update(arg, done, total);
}

void ac_progress_finish(ac_progress *p)
{
	if (p == NULL || !p->enabled || !p->drawn)
		return;
	fputs("\r\033[K", p->out);
	fflush(p->out);
	p->drawn = false;
}

void ac_progress_free(ac_progress **p)
{
	if (p == NULL || *p == NULL)
		return;
	ac_progress_finish(*p);
	free(*p);
	*p = NULL;
}
