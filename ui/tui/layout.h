/* tern — ui/tui/layout: where each pane goes for a terminal size (pure). */
#ifndef TERN_TUI_LAYOUT_H
#define TERN_TUI_LAYOUT_H

#include "core/common.h"

/* Below this the panes are not drawn, only a "too small" notice. */
#define LAYOUT_MIN_ROWS 6
#define LAYOUT_MIN_COLS 24
/* The folder pane is left out when the screen is narrower than this. */
#define LAYOUT_FOLDERS_MIN_COLS 50

struct tui_rect {
	int y, x, h, w;
};

struct layout {
	bool too_small;
	bool show_folders;
	bool beside;                 /* viewer to the right of the list */
	struct tui_rect folders;     /* w == 0 when hidden */
	struct tui_rect folders_sep; /* vertical line right of the folder pane */
	struct tui_rect list;
	struct tui_rect viewer_sep;  /* title bar above (below) or line left of (beside) the viewer */
	struct tui_rect viewer;
	struct tui_rect status;      /* status bar, one row */
	struct tui_rect message;     /* message / prompt line, the last row */
};

/* Compute the layout of a rows x cols screen. folders: the folder pane is
 * wanted; beside: the viewer goes right of the list instead of below. */
void layout_compute(int rows, int cols, bool folders, bool beside, struct layout *l);

/* True when (y, x) is inside r. */
bool layout_rect_contains(const struct tui_rect *r, int y, int x);

#endif
