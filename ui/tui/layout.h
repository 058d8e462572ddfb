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

enum layout_zoom {
	LAYOUT_ZOOM_NONE,
	LAYOUT_ZOOM_FOLDERS,
	LAYOUT_ZOOM_LIST,
	LAYOUT_ZOOM_VIEWER,
};

/* What the screen should hold. */
struct layout_want {
	bool folders;           /* the folder pane is wanted */
	bool beside;            /* the viewer goes right of the list, not below */
	bool viewer;            /* a message is open: without one the list has it all */
	bool full;              /* an open message takes the list's place (mutt's pager) */
	enum layout_zoom zoom;  /* one pane gets the whole screen */
};

/* Compute the layout of a rows x cols screen. A pane left out has w == 0
 * and h == 0 (its separator too). */
void layout_compute(int rows, int cols, const struct layout_want *w, struct layout *l);

/* True when (y, x) is inside r. */
bool layout_rect_contains(const struct tui_rect *r, int y, int x);

#endif
