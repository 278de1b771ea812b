// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* SVG line charts: see svgplot.h. Plain SVG 1.1, no scripts, no external resources. */
#include <math.h>
#include "svgplot.h"

#define W 900
#define H 300
#define ML 70	/* margins */
#define MR 150
#define MT 30
#define MB 40

struct chart {
	FILE *f;
	double y0;		/* top of this chart in the document */
	double tmax;		/* seconds */
	double vmin, vmax;
	bool log;
};

static const char *const colors[] = {
	"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
	"#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000000", "#aec7e8",
};

static double px(const struct chart *c, double t)
{
	return ML + (c->tmax > 0 ? t / c->tmax : 0) * (W - ML - MR);
}

static double py(const struct chart *c, double v)
{
	double lo = c->log ? log10(c->vmin) : c->vmin, hi = c->log ? log10(c->vmax) : c->vmax;
	double x = c->log ? log10(v < c->vmin ? c->vmin : v) : v;

	return c->y0 + MT + (hi > lo ? 1 - (x - lo) / (hi - lo) : 0.5) * (H - MT - MB);
}

static void axes(const struct chart *c, const char *title, const char *ylabel)
{
	fprintf(c->f, "<text x='%d' y='%.0f' font-weight='bold'>%s</text>\n", ML, c->y0 + 18,
		title);
	fprintf(c->f, "<rect x='%d' y='%.0f' width='%d' height='%d' fill='none' "
		"stroke='#888'/>\n", ML, c->y0 + MT, W - ML - MR, H - MT - MB);
	fprintf(c->f, "<text x='%d' y='%.0f' font-size='11'>%g</text>\n", 4, py(c, c->vmax) + 4,
		c->vmax);
	fprintf(c->f, "<text x='%d' y='%.0f' font-size='11'>%g</text>\n", 4, py(c, c->vmin),
		c->vmin);
	fprintf(c->f, "<text x='%d' y='%.0f' font-size='11'>%s</text>\n", 4,
		c->y0 + H / 2.0, ylabel);
	fprintf(c->f, "<text x='%d' y='%.0f' font-size='11'>0 s</text>\n", ML, c->y0 + H - 22);
	fprintf(c->f, "<text x='%d' y='%.0f' font-size='11' text-anchor='end'>%.1f s</text>\n",
		W - MR, c->y0 + H - 22, c->tmax);
}

static void series(const struct chart *c, const struct replay_result *res, int z, int kind,
		   unsigned int order, int color, const char *label, int row)
{
	fprintf(c->f, "<polyline fill='none' stroke='%s' stroke-width='1.5' points='",
		colors[color % 12]);
	for (size_t i = 0; i < res->nr_samples; i++) {
		const struct replay_zone_sample *s = &res->samples[i].zone[z];
		double v = kind == 0 ? (double)s->nr_free[order] :
			   kind == 1 ? s->frag_index[order] / 1000.0 : s->unusable[order] / 1000.0;

		fprintf(c->f, "%.1f,%.1f ", px(c, res->samples[i].t / 1e9), py(c, v));
	}
	fprintf(c->f, "'/>\n<text x='%d' y='%.0f' font-size='11' fill='%s'>%s</text>\n",
		W - MR + 8, c->y0 + MT + 12 + 14 * row, colors[color % 12], label);
}

int svgplot__replay(FILE *f, const struct replay_result *res, int z)
{
	struct chart c = { .f = f, .tmax = 0, .vmin = 1, .vmax = 1, .log = true };
	char label[64];

	if (!res->nr_samples)
		return -1;
	c.tmax = res->samples[res->nr_samples - 1].t / 1e9;
	for (size_t i = 0; i < res->nr_samples; i++)
		for (unsigned int o = 0; o < res->nr_orders; o++)
			if (res->samples[i].zone[z].nr_free[o] > c.vmax)
				c.vmax = res->samples[i].zone[z].nr_free[o];
	fprintf(f, "<?xml version='1.0'?>\n<svg xmlns='http://www.w3.org/2000/svg' width='%d' "
		"height='%d' font-family='sans-serif'>\n<rect width='100%%' height='100%%' "
		"fill='white'/>\n", W, 2 * H);
	snprintf(label, sizeof(label), "node %u zone %s: free blocks per order",
		 res->zones[z].node, res->zones[z].name);
	axes(&c, label, "blocks");
	for (unsigned int o = 0; o < res->nr_orders; o++) {
		snprintf(label, sizeof(label), "order %u", o);
		series(&c, res, z, 0, o, o, label, o);
	}
	c.y0 = H;
	c.log = false;
	c.vmin = -1;
	c.vmax = 1;
	snprintf(label, sizeof(label), "indices of order %u (THP)", res->thp_order);
	axes(&c, label, "index");
	series(&c, res, z, 1, res->thp_order, 3, "fragmentation", 0);
	series(&c, res, z, 2, res->thp_order, 0, "unusable", 1);
	fprintf(f, "</svg>\n");
	return ferror(f) ? -1 : 0;
}
