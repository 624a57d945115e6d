/*
 * The benchmark's host window: one X client that covers the screen and shows what the figures are read from.
 *
 *   - a screen full of source code (syntax-coloured, like an editor), for the text-fidelity figure;
 *   - a click target that toggles between two colours on every button press, for click-to-photon;
 *   - a barcode of the time it was drawn (ms since the epoch, low 32 bits, plus a 16-bit check), for
 *     glass-to-glass: 48 cells of CELL x CELL px, black = 1, white = 0, 12 columns by 4 rows, row-major, most
 *     significant bit first.
 *
 * Plain Xlib, so that drawing costs the shared cores next to nothing (a second headful Chromium would not).
 * Everything is composed in a back pixmap and copied to the window in one request, so a capture never sees a
 * half-drawn barcode; in `typing` mode only the barcode's rectangle is copied (a small region changes), in
 * `scroll` and `scroll-alike` modes the whole screen is, in `drag` mode what the moving window covered before and
 * covers now, and the barcode; in `video` mode a rectangle of moving colour (a plasma whose every pixel changes each
 * frame, as a video's do) with the barcode inside it, at the video's own rate.
 *
 * Redraws come on a jittered clock: each interval is the period times a random factor in [0.5, 1.5), so that a
 * run does not lock in phase with the helper's 60 Hz animation frames.
 *
 * Usage: bench-window WIDTH HEIGHT CODEFILE TX TY TW TH BX BY CELL HZ SCROLLPX [DRAGW DRAGH DRAGDX DRAGDY [VX VY VW VH VHZ]]
 * Commands on stdin, one per line: `mode static|typing|scroll|scroll-alike|drag|video`, `quit`.
 * On stdout: `ready`, `mode NAME` once a mode is on the screen, `click N MS` for each press on the target.
 */
#define _POSIX_C_SOURCE 200809L
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

enum { STATIC, TYPING, SCROLL, SCROLL_ALIKE, DRAG, VIDEO };
static const int COLS = 12, ROWS = 4;

static Display *dpy;
static Window win;
static GC gc;
static Pixmap code, alike, back;
static XFontStruct *font;
static int width, height, tile; /* tile: height of one period of the code pixmap (drawn twice for wrapping) */
static int tx, ty, tw, th, bx, by, cell, scrollPx;
/* The dragged window: its size, its step per redraw, where it is (top-left) and where it was last shown. */
static int dragW = 900, dragH = 600, dragDx = 6, dragDy = 4, dragX, dragY, dragDirX = 1, dragDirY = 1, shownX, shownY;
static unsigned long colText, colKeyword, colString, colComment, colNumber, colBg, colTargetA, colTargetB, colBlack, colWhite, colTitle, colBorder;
static int targetOn = 0, clicks = 0, mode = STATIC, offset = 0;
/* The video: where it is, its frames a second (on average: the clock is jittered as the main one), its frame. */
static int videoX = 600, videoY = 120, videoW = 640, videoH = 360, videoFrame = 0;
static double videoHz = 30;
static XImage *videoImage;

static uint64_t nowMs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)(ts.tv_nsec / 1000000);
}

static double monoMs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static unsigned long rgb(int r, int g, int b) {
  XColor c;
  c.red = (unsigned short)(r * 257);
  c.green = (unsigned short)(g * 257);
  c.blue = (unsigned short)(b * 257);
  c.flags = DoRed | DoGreen | DoBlue;
  XAllocColor(dpy, DefaultColormap(dpy, DefaultScreen(dpy)), &c);
  return c.pixel;
}

static int isWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$';
}

static int isKeyword(const char *s, int n) {
  static const char *words[] = {"import", "export", "from", "const", "let", "var", "function", "return", "if", "else", "for",
                                "while", "class", "interface", "type", "new", "this", "async", "await", "private", "readonly",
                                "public", "static", "void", "true", "false", "undefined", "null", "try", "catch", "finally",
                                "throw", "switch", "case", "default", "break", "continue", "of", "in", "extends", "implements", 0};
  for (int i = 0; words[i]; i++)
    if ((int)strlen(words[i]) == n && strncmp(words[i], s, (size_t)n) == 0) return 1;
  return 0;
}

/* One line of code at (x, y), coloured by a tokenizer that knows comments, strings, numbers and keywords. */
static void drawLine(Drawable d, int x, int y, const char *line, int n, int *inBlockComment) {
  int cw = font->max_bounds.width;
  int i = 0;
  while (i < n) {
    int j = i;
    unsigned long col = colText;
    if (*inBlockComment) {
      while (j < n && !(line[j] == '*' && j + 1 < n && line[j + 1] == '/')) j++;
      if (j < n) {
        j += 2;
        *inBlockComment = 0;
      }
      col = colComment;
    } else if (line[i] == '/' && i + 1 < n && line[i + 1] == '/') {
      j = n;
      col = colComment;
    } else if (line[i] == '/' && i + 1 < n && line[i + 1] == '*') {
      *inBlockComment = 1;
      j = i + 2;
      while (j < n && !(line[j] == '*' && j + 1 < n && line[j + 1] == '/')) j++;
      if (j < n) {
        j += 2;
        *inBlockComment = 0;
      }
      col = colComment;
    } else if (line[i] == '\'' || line[i] == '"' || line[i] == '`') {
      char q = line[i];
      j = i + 1;
      while (j < n && line[j] != q) j += line[j] == '\\' ? 2 : 1;
      if (j < n) j++;
      if (j > n) j = n;
      col = colString;
    } else if (line[i] >= '0' && line[i] <= '9') {
      while (j < n && isWordChar(line[j])) j++;
      col = colNumber;
    } else if (isWordChar(line[i])) {
      while (j < n && isWordChar(line[j])) j++;
      col = isKeyword(line + i, j - i) ? colKeyword : colText;
    } else {
      j = i + 1;
    }
    XSetForeground(dpy, gc, col);
    XDrawString(dpy, d, gc, x + i * cw, y, line + i, j - i);
    i = j;
  }
}

static char lines[4096][200];

/*
 * A code pixmap: one screen-high period of `count` lines (two columns of them, with line numbers when `numbered`),
 * drawn twice and then some, so that any offset in [0, tile) shows a whole screen.
 */
static Pixmap drawLines(int count, int numbered) {
  int lineHeight = font->ascent + font->descent + 2;
  int rowsPerTile = height / lineHeight;
  tile = rowsPerTile * lineHeight;
  int colWidth = width / 2;
  int maxChars = (colWidth - 60) / font->max_bounds.width;
  Pixmap pm = XCreatePixmap(dpy, win, (unsigned)width, (unsigned)(tile * 2 + height), (unsigned)DefaultDepth(dpy, DefaultScreen(dpy)));
  XSetForeground(dpy, gc, colBg);
  XFillRectangle(dpy, pm, gc, 0, 0, (unsigned)width, (unsigned)(tile * 2 + height));
  for (int copy = 0; copy * tile < tile * 2 + height; copy++) {
    for (int column = 0; column < 2; column++) {
      int inBlock = 0;
      for (int r = 0; r < rowsPerTile; r++) {
        int idx = (column * rowsPerTile + r) % count;
        int n = (int)strlen(lines[idx]);
        if (n > maxChars) n = maxChars;
        int y = copy * tile + r * lineHeight + font->ascent + 1;
        if (numbered) {
          char num[16];
          int nn = snprintf(num, sizeof num, "%4d", idx + 1);
          XSetForeground(dpy, gc, colNumber);
          XDrawString(dpy, pm, gc, column * colWidth + 4, y, num, nn);
        }
        drawLine(pm, column * colWidth + 48, y, lines[idx], n, &inBlock);
      }
    }
  }
  return pm;
}

/* The code pixmap: the file's lines, numbered, as an editor shows them. */
static void drawCode(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) {
    perror(path);
    exit(2);
  }
  int count = 0;
  while (count < 4096 && fgets(lines[count], sizeof lines[count], f)) {
    size_t len = strcspn(lines[count], "\r\n");
    lines[count][len] = 0;
    for (size_t k = 0; k < len; k++)
      if (lines[count][k] == '\t') lines[count][k] = ' ';
    count++;
  }
  fclose(f);
  if (count == 0) {
    strcpy(lines[0], "// (empty)");
    count = 1;
  }
  code = drawLines(count, 1);
}

/*
 * The lines-alike pixmap: code made of a few kinds of line that repeat (braces, blank lines, the same call and
 * return again, at the same indentation), without line numbers (a diff view, a terminal, a log): most rows of
 * the screen have twins elsewhere on it, which is what a scroll detector that needs unique rows fails on.
 */
static void drawAlike(void) {
  static const char *kinds[] = {
      "  }",
      "",
      "    if (value === undefined) {",
      "      continue;",
      "    }",
      "",
      "    items.push(value);",
      "    return items;",
      "  }",
      "",
      "  for (const value of values) {",
      "    total += value;",
  };
  const int nkinds = (int)(sizeof kinds / sizeof kinds[0]);
  unsigned seed = 12345u;
  int count = 0;
  for (; count < 400; count++) {
    seed = seed * 1103515245u + 12345u;
    strcpy(lines[count], kinds[(seed >> 16) % (unsigned)nkinds]);
  }
  alike = drawLines(count, 0);
}

static void drawTarget(void) {
  XSetForeground(dpy, gc, targetOn ? colTargetB : colTargetA);
  XFillRectangle(dpy, back, gc, tx, ty, (unsigned)tw, (unsigned)th);
}

static void drawBarcode(uint64_t ms) {
  uint32_t value = (uint32_t)(ms & 0xffffffffu);
  uint32_t check = ((value >> 16) ^ (value & 0xffffu) ^ 0x5a5au) & 0xffffu;
  uint64_t bits = ((uint64_t)value << 16) | check;
  XSetForeground(dpy, gc, colWhite);
  XFillRectangle(dpy, back, gc, bx - cell / 2, by - cell / 2, (unsigned)(COLS * cell + cell), (unsigned)(ROWS * cell + cell));
  XSetForeground(dpy, gc, colBlack);
  for (int i = 0; i < COLS * ROWS; i++) {
    if ((bits >> (COLS * ROWS - 1 - i)) & 1u) XFillRectangle(dpy, back, gc, bx + (i % COLS) * cell, by + (i / COLS) * cell, (unsigned)cell, (unsigned)cell);
  }
}

/* The dragged window in the back pixmap: a title bar, a border, and code (a part of the alike pixmap). */
static void drawDragged(void) {
  XSetForeground(dpy, gc, colBorder);
  XFillRectangle(dpy, back, gc, dragX, dragY, (unsigned)dragW, (unsigned)dragH);
  XSetForeground(dpy, gc, colTitle);
  XFillRectangle(dpy, back, gc, dragX + 1, dragY + 1, (unsigned)(dragW - 2), 22);
  XSetForeground(dpy, gc, colWhite);
  XDrawString(dpy, back, gc, dragX + 10, dragY + 16, "bench-window: dragged", 21);
  XCopyArea(dpy, alike, back, gc, 0, 0, (unsigned)(dragW - 2), (unsigned)(dragH - 25), dragX + 1, dragY + 24);
}

/*
 * One frame of the video into the back pixmap: a plasma (sums of sines from tables, a colour palette that cycles)
 * with a fixed fine grain, so that every pixel changes every frame and the picture has the detail of a real one.
 * Integer table look-ups only: ~1 ms a frame for 640x360.
 */
static void drawVideo(void) {
  static unsigned char sine[256], grain[64 * 64];
  static unsigned long palette[256];
  static int ready = 0;
  if (!ready) {
    for (int i = 0; i < 256; i++) {
      /* sin() without libm (the bench links Xlib only): Taylor's series over [-pi, pi). */
      double a = (i < 128 ? i : i - 256) * 3.14159265358979 / 128, term = a, sum = a;
      for (int k = 1; k < 12; k++) {
        term *= -a * a / ((2 * k) * (2 * k + 1));
        sum += term;
      }
      sine[i] = (unsigned char)(127.5 + 127.4 * sum);
    }
    unsigned seed = 99u;
    for (int i = 0; i < 64 * 64; i++) {
      seed = seed * 1103515245u + 12345u;
      grain[i] = (unsigned char)((seed >> 16) % 6);
    }
    Visual *v = DefaultVisual(dpy, DefaultScreen(dpy));
    videoImage = XCreateImage(dpy, v, (unsigned)DefaultDepth(dpy, DefaultScreen(dpy)), ZPixmap, 0, malloc((size_t)videoW * (size_t)videoH * 4), (unsigned)videoW, (unsigned)videoH, 32, 0);
    ready = 1;
  }
  int t = videoFrame++;
  for (int i = 0; i < 256; i++) {
    int r = sine[(i + t * 3) & 255], g = sine[(i * 2 + 85 + t * 5) & 255], b = sine[(i + 170 - t * 2) & 255];
    palette[i] = ((unsigned long)r << 16) | ((unsigned long)g << 8) | (unsigned long)b;
  }
  for (int y = 0; y < videoH; y++) {
    uint32_t *row = (uint32_t *)(videoImage->data + y * videoImage->bytes_per_line);
    int sy = sine[(y * 2 + t * 4) & 255];
    for (int x = 0; x < videoW; x++) {
      int p = sine[(x + t * 6) & 255] + sy + sine[((x + y) / 2 + t * 3) & 255] + sine[((x * x + y * y) / 512 - t * 5) & 255];
      int c = (p / 4 + grain[(y & 63) * 64 + (x & 63)] + t) & 255;
      row[x] = (uint32_t)palette[c];
    }
  }
  XPutImage(dpy, back, gc, videoImage, 0, 0, videoX, videoY, (unsigned)videoW, (unsigned)videoH);
}

/* Composes the whole screen into the back pixmap. */
static void compose(void) {
  XCopyArea(dpy, mode == SCROLL_ALIKE ? alike : code, back, gc, 0, mode == DRAG ? 0 : offset, (unsigned)width, (unsigned)height, 0, 0);
  if (mode == DRAG) drawDragged();
  if (mode == VIDEO) drawVideo();
  drawTarget();
  drawBarcode(nowMs());
}

/* Composes the whole screen and shows it. */
static void drawAll(void) {
  compose();
  XCopyArea(dpy, back, win, gc, 0, 0, (unsigned)width, (unsigned)height, 0, 0);
  shownX = dragX;
  shownY = dragY;
}

/* One step of the drag: the window moves, bouncing off the screen's edges; what it covered and covers is shown. */
static void dragStep(void) {
  if (dragX + dragDirX * dragDx < 0 || dragX + dragDirX * dragDx + dragW > width) dragDirX = -dragDirX;
  if (dragY + dragDirY * dragDy < 0 || dragY + dragDirY * dragDy + dragH > height) dragDirY = -dragDirY;
  dragX += dragDirX * dragDx;
  dragY += dragDirY * dragDy;
  compose();
  int x0 = shownX < dragX ? shownX : dragX, y0 = shownY < dragY ? shownY : dragY;
  int x1 = (shownX > dragX ? shownX : dragX) + dragW, y1 = (shownY > dragY ? shownY : dragY) + dragH;
  XCopyArea(dpy, back, win, gc, x0, y0, (unsigned)(x1 - x0), (unsigned)(y1 - y0), x0, y0);
  XCopyArea(dpy, back, win, gc, bx - cell / 2, by - cell / 2, (unsigned)(COLS * cell + cell), (unsigned)(ROWS * cell + cell), bx - cell / 2, by - cell / 2);
  XCopyArea(dpy, back, win, gc, tx, ty, (unsigned)tw, (unsigned)th, tx, ty);
  shownX = dragX;
  shownY = dragY;
}

static void showBarcodeOnly(void) {
  drawBarcode(nowMs());
  XCopyArea(dpy, back, win, gc, bx - cell / 2, by - cell / 2, (unsigned)(COLS * cell + cell), (unsigned)(ROWS * cell + cell), bx - cell / 2, by - cell / 2);
}

/* A frame of the video, with the barcode inside it: only the video's rectangle is shown. */
static void videoStep(void) {
  drawVideo();
  drawBarcode(nowMs());
  XCopyArea(dpy, back, win, gc, videoX, videoY, (unsigned)videoW, (unsigned)videoH, videoX, videoY);
}

static void showTargetOnly(void) {
  drawTarget();
  XCopyArea(dpy, back, win, gc, tx, ty, (unsigned)tw, (unsigned)th, tx, ty);
}

static void command(char *line) {
  line[strcspn(line, "\r\n")] = 0;
  if (strcmp(line, "quit") == 0) exit(0);
  if (strncmp(line, "mode ", 5) == 0) {
    const char *m = line + 5;
    mode = strcmp(m, "scroll") == 0         ? SCROLL
           : strcmp(m, "scroll-alike") == 0 ? SCROLL_ALIKE
           : strcmp(m, "drag") == 0         ? DRAG
           : strcmp(m, "video") == 0        ? VIDEO
           : strcmp(m, "typing") == 0       ? TYPING
                                            : STATIC;
    offset = 0;
    dragX = (width - dragW) / 4;
    dragY = (height - dragH) / 4;
    drawAll();
    XSync(dpy, False);
    printf("mode %s\n", m);
    fflush(stdout);
  }
}

int main(int argc, char **argv) {
  if (argc != 13 && argc != 17 && argc != 22) {
    fprintf(stderr, "usage: %s WIDTH HEIGHT CODEFILE TX TY TW TH BX BY CELL HZ SCROLLPX [DRAGW DRAGH DRAGDX DRAGDY [VX VY VW VH VHZ]]\n", argv[0]);
    return 2;
  }
  if (argc == 22) {
    videoX = atoi(argv[17]);
    videoY = atoi(argv[18]);
    videoW = atoi(argv[19]);
    videoH = atoi(argv[20]);
    videoHz = atof(argv[21]);
  }
  if (argc >= 17) {
    dragW = atoi(argv[13]);
    dragH = atoi(argv[14]);
    dragDx = atoi(argv[15]);
    dragDy = atoi(argv[16]);
  }
  width = atoi(argv[1]);
  height = atoi(argv[2]);
  tx = atoi(argv[4]);
  ty = atoi(argv[5]);
  tw = atoi(argv[6]);
  th = atoi(argv[7]);
  bx = atoi(argv[8]);
  by = atoi(argv[9]);
  cell = atoi(argv[10]);
  double periodMs = 1000.0 / atof(argv[11]);
  scrollPx = atoi(argv[12]);
  dpy = XOpenDisplay(NULL);
  if (!dpy) {
    fprintf(stderr, "cannot open display\n");
    return 2;
  }
  int screen = DefaultScreen(dpy);
  XSetWindowAttributes attrs;
  attrs.override_redirect = True; /* no window manager: stay at 0,0 and cover the screen */
  attrs.background_pixmap = None;
  attrs.event_mask = ExposureMask | ButtonPressMask;
  win = XCreateWindow(dpy, RootWindow(dpy, screen), 0, 0, (unsigned)width, (unsigned)height, 0, CopyFromParent, InputOutput, CopyFromParent,
                      CWOverrideRedirect | CWBackPixmap | CWEventMask, &attrs);
  XStoreName(dpy, win, "ra-bench-window");
  gc = XCreateGC(dpy, win, 0, NULL);
  font = XLoadQueryFont(dpy, "7x14");
  if (!font) font = XLoadQueryFont(dpy, "fixed");
  if (!font) {
    fprintf(stderr, "no X core font (7x14 or fixed)\n");
    return 2;
  }
  XSetFont(dpy, gc, font->fid);
  colBg = rgb(31, 31, 31);
  colText = rgb(212, 212, 212);
  colKeyword = rgb(86, 156, 214);
  colString = rgb(206, 145, 120);
  colComment = rgb(106, 153, 85);
  colNumber = rgb(181, 206, 168);
  colTargetA = rgb(220, 40, 40);
  colTargetB = rgb(40, 60, 230);
  colBlack = BlackPixel(dpy, screen);
  colWhite = WhitePixel(dpy, screen);
  colTitle = rgb(50, 80, 140);
  colBorder = rgb(90, 90, 90);
  if (dragW > width) dragW = width;
  if (dragH > height) dragH = height;
  drawCode(argv[3]);
  drawAlike();
  back = XCreatePixmap(dpy, win, (unsigned)width, (unsigned)height, (unsigned)DefaultDepth(dpy, screen));
  XMapRaised(dpy, win);
  drawAll();
  XSync(dpy, False);
  printf("ready\n");
  fflush(stdout);

  int xfd = ConnectionNumber(dpy);
  srand((unsigned)getpid());
  double next = monoMs() + periodMs;
  char buf[256];
  int held = 0;
  for (;;) {
    while (XPending(dpy)) {
      XEvent e;
      XNextEvent(dpy, &e);
      if (e.type == Expose && e.xexpose.count == 0) {
        XCopyArea(dpy, back, win, gc, 0, 0, (unsigned)width, (unsigned)height, 0, 0);
      } else if (e.type == ButtonPress) {
        int x = e.xbutton.x, y = e.xbutton.y;
        if (x >= tx && x < tx + tw && y >= ty && y < ty + th) {
          targetOn = !targetOn;
          showTargetOnly();
          XFlush(dpy);
          printf("click %d %llu\n", ++clicks, (unsigned long long)nowMs());
          fflush(stdout);
        }
      }
    }
    double wait = next - monoMs();
    if (wait <= 0) {
      if (mode == SCROLL || mode == SCROLL_ALIKE) {
        offset = (offset + scrollPx) % tile;
        drawAll();
      } else if (mode == DRAG) {
        dragStep();
      } else if (mode == TYPING) {
        showBarcodeOnly();
      } else if (mode == VIDEO) {
        videoStep();
      }
      XFlush(dpy);
      /* Jittered: [0.5, 1.5) periods, a mean of one; the video's period in video mode. */
      double interval = (mode == VIDEO ? 1000.0 / videoHz : periodMs) * (0.5 + (double)rand() / ((double)RAND_MAX + 1.0));
      next += interval;
      if (next < monoMs()) next = monoMs() + interval; /* fell behind: do not burst */
      continue;
    }
    fd_set fds;
    FD_ZERO(&fds);
    FD_SET(xfd, &fds);
    FD_SET(0, &fds);
    struct timeval tv;
    tv.tv_sec = 0;
    tv.tv_usec = (long)(wait * 1000);
    int r = select(xfd + 1, &fds, NULL, NULL, &tv);
    if (r < 0 && errno != EINTR) return 1;
    if (r > 0 && FD_ISSET(0, &fds)) {
      /* read(), not fgets(): stdio would keep a second line in its buffer where select() cannot see it */
      ssize_t got = read(0, buf + held, sizeof buf - 1 - (size_t)held);
      if (got <= 0) return 0; /* the bench went away */
      held += (int)got;
      buf[held] = 0;
      char *nl;
      while ((nl = strchr(buf, '\n')) != NULL) {
        *nl = 0;
        command(buf);
        held -= (int)(nl + 1 - buf);
        memmove(buf, nl + 1, (size_t)held + 1);
      }
      if (held >= (int)sizeof buf - 1) held = 0; /* an overlong line: drop it */
    }
  }
}
