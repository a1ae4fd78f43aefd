// ncurses (wide) for crowbar tui, with the macros Swift cannot import as small functions.
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <ncursesw/curses.h>

static inline WINDOW *crowbar_stdscr(void) { return stdscr; }
static inline int crowbar_lines(void) { return LINES; }
static inline int crowbar_columns(void) { return COLS; }
static inline int crowbar_color_pair(short pair) { return (int)COLOR_PAIR(pair); }
static inline int crowbar_bold(void) { return (int)A_BOLD; }
static inline int crowbar_reverse(void) { return (int)A_REVERSE; }
static inline int crowbar_dim(void) { return (int)A_DIM; }
static inline int crowbar_underline(void) { return (int)A_UNDERLINE; }
