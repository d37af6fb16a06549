/* plot.c — the SVG plot `racelab bench --plot FILE.svg` writes (report.c
 * writes the table, JSON and CSV).
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

/* ------------------------------------------------------------------------
 * SVG: median ns/op vs threads, one line per benchmark that runs at several
 * thread counts; bars show the IQR. The y axis is logarithmic when the
 * values span more than RL_BENCH_LOG_SCALE_RATIO, linear from 0 otherwise;
 * the x axis is log2 of the thread count.
 * ---------------------------------------------------------------------- */

void rl_bench_xml_string(FILE *f, const char *str)
{
	for (const char *p = str; *p; p++) {
		switch (*p) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			if ((unsigned char)*p >= 0x20 || *p == '\n' || *p == '\t')
				fputc(*p, f);
		}
	}
}

bool rl_bench_plot_use_log(double vmin, double vmax)
{
	return vmin > 0 && vmax / vmin > RL_BENCH_LOG_SCALE_RATIO;
}

static const char *const palette[] = {
	"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
	"#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
};
static const char *const dashes[] = {"", "6,3", "2,3"};

enum { W = 960, H = 560, L = 80, R = 330, T = 60, B = 70 };

struct axes {
	bool log;
	double ymin, ymax; /* data range in axis units (log10 when log) */
	double xmin, xmax; /* log2 threads */
};

static double ypix(const struct axes *a, double v)
{
	double u = a->log ? log10(v) : v;
	double frac = (u - a->ymin) / (a->ymax - a->ymin);
	return T + (1 - frac) * (H - T - B);
}

static double xpix(const struct axes *a, unsigned t)
{
	if (a->xmax <= a->xmin)
		return L + (W - L - R) / 2.0;
	double frac = (log2((double)t) - a->xmin) / (a->xmax - a->xmin);
	return L + 20 + frac * (W - L - R - 40);
}

static double nice_step(double range)
{
	double raw = range / 5, mag = pow(10, floor(log10(raw)));
	double m = raw / mag;
	return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * mag;
}

int rl_bench_write_svg(const struct rl_bench_session *s, FILE *f)
{
	/* Plotted results and the value range (IQR whiskers included). */
	double vmin = INFINITY, vmax = 0;
	unsigned tmin = 0, tmax = 0;
	size_t nplot = 0;
	for (size_t i = 0; i < s->nres; i++) {
		const struct rl_bench_result *r = &s->res[i];
		if (!r->plot)
			continue;
		nplot++;
		double lo = r->st.q1 > 0 ? r->st.q1 : r->st.median, hi = r->st.q3;
		if (r->st.median > 0 && lo < vmin)
			vmin = lo > 0 ? lo : r->st.median;
		if (hi > vmax)
			vmax = hi;
		if (r->st.median > vmax)
			vmax = r->st.median;
		if (!tmin || r->threads < tmin)
			tmin = r->threads;
		if (r->threads > tmax)
			tmax = r->threads;
	}

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n",
		W, H, W, H);
	fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", W, H);
	fputs("<text x=\"80\" y=\"26\" font-size=\"16\" font-weight=\"bold\">racelab bench: "
	      "ns/op per thread vs threads (median; bars: IQR)</text>\n", f);
	fputs("<text x=\"80\" y=\"44\" fill=\"#555555\">", f);
	rl_bench_xml_string(f, s->cpu_model);
	fprintf(f, ", %u CPUs, ", s->ncpus);
	rl_bench_xml_string(f, s->date);
	fputs("</text>\n", f);

	if (nplot == 0 || !(vmax > 0)) {
		fputs("racelab bench: warning: --plot has nothing to draw: no benchmark ran at several thread "
		      "counts (choose one that takes --threads, e.g. counter-relaxed --threads 1,2)\n", stderr);
		fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"#555555\">no benchmark that runs at several "
			"thread counts was measured</text>\n</svg>\n", L, H / 2);
		return ferror(f) ? -1 : 0;
	}

	struct axes a = {.log = rl_bench_plot_use_log(vmin, vmax)};
	a.xmin = log2((double)tmin);
	a.xmax = log2((double)tmax);
	if (a.log) {
		a.ymin = floor(log10(vmin));
		a.ymax = ceil(log10(vmax));
		if (a.ymax <= a.ymin)
			a.ymax = a.ymin + 1;
	} else {
		double step = nice_step(vmax);
		a.ymin = 0;
		a.ymax = ceil(vmax / step) * step;
	}

	/* frame, grid and y labels */
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888888\"/>\n",
		L, T, W - L - R, H - T - B);
	char buf[32];
	if (a.log) {
		for (int d = (int)a.ymin; d <= (int)a.ymax; d++) {
			for (int m = 1; m <= 9; m++) {
				double v = m * pow(10, d);
				if (log10(v) > a.ymax + 1e-9)
					break;
				double y = ypix(&a, v);
				bool major = m == 1;
				fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\"/>\n",
					L, y, W - R, y, major ? "#cccccc" : "#eeeeee");
				if (major || ((m == 2 || m == 5) && a.ymax - a.ymin <= 2))
					fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
						L - 6, y + 4, rl_bench_fmt_num(v, buf, sizeof buf));
			}
		}
	} else {
		double step = nice_step(a.ymax);
		for (double v = 0; v <= a.ymax + step / 2; v += step) {
			double y = ypix(&a, v);
			fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#dddddd\"/>\n",
				L, y, W - R, y);
			fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", L - 6,
				y + 4, rl_bench_fmt_num(v, buf, sizeof buf));
		}
	}
	fprintf(f, "<text transform=\"translate(20,%d) rotate(-90)\" text-anchor=\"middle\">"
		"ns/op per thread (%s scale)</text>\n", (T + H - B) / 2, a.log ? "log" : "linear");

	/* x ticks at each thread count that was measured */
	for (size_t k = 0; k < s->opts->nthreads; k++) {
		unsigned t = s->opts->threads[k];
		double x = xpix(&a, t);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eeeeee\"/>\n", x,
			T, x, H - B);
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%u</text>\n", x, H - B + 18, t);
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">threads</text>\n", (L + W - R) / 2,
		H - B + 42);

	/* one series per benchmark name, in order of appearance */
	size_t series = 0;
	for (size_t i = 0; i < s->nres; i++) {
		const struct rl_bench_result *r = &s->res[i];
		if (!r->plot)
			continue;
		bool seen = false;
		for (size_t j = 0; j < i; j++)
			if (s->res[j].plot && !strcmp(s->res[j].name, r->name))
				seen = true;
		if (seen)
			continue;
		const char *color = palette[series % 10];
		const char *dash = dashes[(series / 10) % 3];
		fputs("<g>\n<title>", f);
		rl_bench_xml_string(f, r->series);
		fprintf(f, "</title>\n<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s%s%s points=\"",
			color, dash[0] ? " stroke-dasharray=\"" : "", dash, dash[0] ? "\"" : "");
		for (size_t k = 0; k < s->opts->nthreads; k++) {
			const struct rl_bench_result *p = rl_bench_session_get(s, r->name, s->opts->threads[k]);
			if (p && p->st.median > 0)
				fprintf(f, "%.1f,%.1f ", xpix(&a, p->threads), ypix(&a, p->st.median));
		}
		fputs("\"/>\n", f);
		for (size_t k = 0; k < s->opts->nthreads; k++) {
			const struct rl_bench_result *p = rl_bench_session_get(s, r->name, s->opts->threads[k]);
			if (!p || !(p->st.median > 0))
				continue;
			double x = xpix(&a, p->threads);
			double lo = p->st.q1 > 0 ? p->st.q1 : p->st.median;
			fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n",
				x, ypix(&a, lo), x, ypix(&a, p->st.q3 > 0 ? p->st.q3 : p->st.median), color);
			fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"><title>", x,
				ypix(&a, p->st.median), color);
			rl_bench_xml_string(f, p->name);
			fprintf(f, ", %u threads: %s ns/op</title></circle>\n", p->threads,
				rl_bench_fmt_num(p->st.median, buf, sizeof buf));
		}
		/* legend */
		double ly = T + 10 + 20.0 * (double)series;
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"%s%s%s/>\n",
			W - R + 16, ly, W - R + 40, ly, color, dash[0] ? " stroke-dasharray=\"" : "", dash,
			dash[0] ? "\"" : "");
		fprintf(f, "<text x=\"%d\" y=\"%.1f\">", W - R + 46, ly + 4);
		rl_bench_xml_string(f, r->series);
		fputs("</text>\n</g>\n", f);
		series++;
	}
	fputs("</svg>\n", f);
	return ferror(f) ? -1 : 0;
}
