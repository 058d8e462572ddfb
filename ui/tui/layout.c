/* tern — ui/tui/layout: where each pane goes for a terminal size.
 *
 * Rows from the top: the panes, then the status bar, then the message line.
 * The folder pane is a column on the left; the message list and the viewer
 * share the rest, the viewer below the list (with a title bar between them)
 * or beside it (with a vertical line between them). */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "ui/tui/layout.h"

/* v within [lo, hi]; when the range is empty, hi wins (then at least 1). */
static int
clamp_int(int v, int lo, int hi)
{
	v = v < lo ? lo : v;
	v = v > hi ? hi : v;
	return v < 1 ? 1 : v;
}

static struct tui_rect
rect(int y, int x, int h, int w)
{
	struct tui_rect r = { y, x, h < 0 ? 0 : h, w < 0 ? 0 : w };

	return r;
}

/* Split the area right of the folder pane between the list and the viewer. */
static void
split_main(struct layout *l, int top, int left, int height, int width)
{
	if (l->beside) {
		int list_w = clamp_int(width * 45 / 100, 20, width - 11);

		l->list = rect(top, left, height, list_w);
		l->viewer_sep = rect(top, left + list_w, height, 1);
		l->viewer = rect(top, left + list_w + 1, height, width - list_w - 1);
	} else {
		/* The list gets 40% of the rows, at least 3, and the viewer at
		 * least 2 besides its title bar. */
		int list_h = clamp_int(height * 40 / 100, 3, height - 3);

		l->list = rect(top, left, list_h, width);
		l->viewer_sep = rect(top + list_h, left, 1, width);
		l->viewer = rect(top + list_h + 1, left, height - list_h - 1, width);
	}
}

/* The viewer alone in the area: its title bar, then the message. */
static void
viewer_alone(struct layout *l, int top, int left, int height, int width)
{
	l->beside = false;
	l->viewer_sep = rect(top, left, 1, width);
	l->viewer = rect(top + 1, left, height - 1, width);
}

void
layout_compute(int rows, int cols, const struct layout_want *w, struct layout *l)
{
	int main_h, left = 0;
	enum layout_zoom zoom = w->zoom;

	memset(l, 0, sizeof(*l));
	l->beside = w->beside && cols >= 60;
	if (rows < LAYOUT_MIN_ROWS || cols < LAYOUT_MIN_COLS) {
		l->too_small = true;
		return;
	}
	main_h = rows - 2;
	l->status = rect(rows - 2, 0, 1, cols);
	l->message = rect(rows - 1, 0, 1, cols);
	if (zoom == LAYOUT_ZOOM_VIEWER && !w->viewer)
		zoom = LAYOUT_ZOOM_NONE;
	l->show_folders = w->folders && cols >= LAYOUT_FOLDERS_MIN_COLS &&
			  (zoom == LAYOUT_ZOOM_NONE || zoom == LAYOUT_ZOOM_FOLDERS);
	if (zoom == LAYOUT_ZOOM_FOLDERS && l->show_folders) {
		l->folders = rect(0, 0, main_h, cols);
		return;
	}
	if (l->show_folders) {
		int fw = clamp_int(cols / 5, 14, 30);

		l->folders = rect(0, 0, main_h, fw);
		l->folders_sep = rect(0, fw, main_h, 1);
		left = fw + 1;
	}
	if (zoom == LAYOUT_ZOOM_VIEWER || (w->viewer && w->full && zoom != LAYOUT_ZOOM_LIST))
		viewer_alone(l, 0, left, main_h, cols - left);
	else if (w->viewer && zoom == LAYOUT_ZOOM_NONE)
		split_main(l, 0, left, main_h, cols - left);
	else
		l->list = rect(0, left, main_h, cols - left);
}

bool
layout_rect_contains(const struct tui_rect *r, int y, int x)
{
	return y >= r->y && y < r->y + r->h && x >= r->x && x < r->x + r->w;
}
