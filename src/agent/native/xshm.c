/*
 * Screen grabs through X's MIT-SHM extension, for the host agent (nativeScreen.ts). XGetImage, what libnut does,
 * makes the X server write every pixel into the socket and Xlib read it out again; XShmGetImage has the server copy
 * the pixels into a shared memory segment instead, which is several times cheaper for large areas (a scrolled page,
 * a dragged window) and costs the X server far less too. The pixels are then copied once into a buffer that V8
 * allocates (napi_create_buffer): never a buffer that wraps memory allocated here, which Electron's memory cage
 * refuses (see the facts of the platform: no napi_create_external_* in this file).
 *
 * Plain C against Node-API only (node_api.h), so one binary loads in Node and in Electron alike. Everything runs on
 * the agent's main thread; one X connection of its own. X errors are caught by an error handler that records them
 * for this connection instead of Xlib's default, which would end the process.
 */
#include <node_api.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/XShm.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  Display *display;
  Window root;
  Visual *visual;
  int depth;
  XShmSegmentInfo shm; /* shmaddr is (char *)-1 when no segment is attached */
  size_t capacity;      /* bytes of the attached segment */
} Grabber;

/*
 * The shared segment's size: larger grabs go in bands of rows. It stays resident in this process (and the X
 * server's), so a whole 1080p screen's 8 MB would be; bands of 2 MB cost a round trip each (~0.05 ms) instead.
 */
#define SEGMENT_BYTES ((size_t)2 * 1024 * 1024)

static Grabber grabber = { NULL, 0, NULL, 0, { 0, -1, (char *)-1, False }, 0 };
static int (*previous_handler)(Display *, XErrorEvent *) = NULL;
static int x_error = 0;

static int on_x_error(Display *display, XErrorEvent *event) {
  if (display == grabber.display) {
    x_error = event->error_code ? event->error_code : 1;
    return 0;
  }
  return previous_handler ? previous_handler(display, event) : 0;
}

static napi_value fail(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

static void detach(void) {
  if (grabber.shm.shmaddr != (char *)-1) {
    if (grabber.display) {
      XShmDetach(grabber.display, &grabber.shm);
      XSync(grabber.display, False);
    }
    shmdt(grabber.shm.shmaddr);
  }
  grabber.shm.shmaddr = (char *)-1;
  grabber.shm.shmid = -1;
  grabber.capacity = 0;
}

/* A segment of at least `bytes`, attached to the server; 0 on success, else an error's text in `why`. */
static int ensure_segment(size_t bytes, char *why, size_t why_size) {
  if (grabber.capacity >= bytes) return 0;
  detach();
  int id = shmget(IPC_PRIVATE, bytes, IPC_CREAT | 0600);
  if (id < 0) {
    snprintf(why, why_size, "shmget of %zu bytes failed", bytes);
    return -1;
  }
  char *addr = shmat(id, NULL, 0);
  if (addr == (char *)-1) {
    shmctl(id, IPC_RMID, NULL);
    snprintf(why, why_size, "shmat failed");
    return -1;
  }
  grabber.shm.shmid = id;
  grabber.shm.shmaddr = addr;
  grabber.shm.readOnly = False;
  x_error = 0;
  XShmAttach(grabber.display, &grabber.shm);
  XSync(grabber.display, False);
  /* Marked for removal now: the system frees it once both sides have detached, even if this process is killed. */
  shmctl(id, IPC_RMID, NULL);
  if (x_error) {
    /* A server on another machine (ssh -X) cannot attach it: BadAccess. */
    shmdt(addr);
    grabber.shm.shmaddr = (char *)-1;
    grabber.shm.shmid = -1;
    snprintf(why, why_size, "the X server could not attach the shared memory (X error %d)", x_error);
    return -1;
  }
  grabber.capacity = bytes;
  return 0;
}

/* open(): connects to $DISPLAY and checks the extension and the screen's format; throws why not. */
static napi_value open_display(napi_env env, napi_callback_info info) {
  (void)info;
  if (grabber.display) return NULL;
  Display *display = XOpenDisplay(NULL);
  if (!display) return fail(env, "cannot open the X display");
  int major, minor;
  Bool pixmaps;
  if (!XShmQueryVersion(display, &major, &minor, &pixmaps)) {
    XCloseDisplay(display);
    return fail(env, "the X server has no MIT-SHM extension");
  }
  int screen = DefaultScreen(display);
  Visual *visual = DefaultVisual(display, screen);
  int depth = DefaultDepth(display, screen);
  XImage *probe = XShmCreateImage(display, visual, depth, ZPixmap, NULL, &grabber.shm, 1, 1);
  int bpp = probe ? probe->bits_per_pixel : 0;
  if (probe) XDestroyImage(probe);
  if (bpp != 32 || depth < 24 || visual->class != TrueColor) {
    XCloseDisplay(display);
    return fail(env, "the screen is not 32 bits a pixel");
  }
  grabber.display = display;
  grabber.root = RootWindow(display, screen);
  grabber.visual = visual;
  grabber.depth = depth;
  previous_handler = XSetErrorHandler(on_x_error);
  return NULL;
}

static int32_t arg_int(napi_env env, napi_value value, int *ok) {
  int32_t out = 0;
  if (napi_get_value_int32(env, value, &out) != napi_ok) *ok = 0;
  return out;
}

/*
 * grab(x, y, width, height): a Buffer of width*height*4 bytes, blue first, rows width*4 bytes apart.
 * grab(x, y, width, height, into, intoX, intoY, intoWidth): writes the pixels into the Uint8Array `into` instead, a
 * picture intoWidth pixels wide, at (intoX, intoY), and returns it: no new buffer, no second copy.
 */
static napi_value grab(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || (argc != 4 && argc != 8)) return fail(env, "grab(x, y, width, height[, into, intoX, intoY, intoWidth])");
  int ok = 1;
  int x = arg_int(env, argv[0], &ok), y = arg_int(env, argv[1], &ok);
  int width = arg_int(env, argv[2], &ok), height = arg_int(env, argv[3], &ok);
  if (!ok || width <= 0 || height <= 0 || x < 0 || y < 0) return fail(env, "grab: bad rectangle");
  if (!grabber.display) return fail(env, "grab: not open");
  size_t row = (size_t)width * 4;
  char *target = NULL;
  size_t target_row = row;
  napi_value result = NULL;
  if (argc == 8) {
    napi_typedarray_type type;
    size_t length;
    void *data;
    if (napi_get_typedarray_info(env, argv[4], &type, &length, &data, NULL, NULL) != napi_ok || type != napi_uint8_array) return fail(env, "grab: `into` is not a Uint8Array");
    int into_x = arg_int(env, argv[5], &ok), into_y = arg_int(env, argv[6], &ok), into_width = arg_int(env, argv[7], &ok);
    if (!ok || into_x < 0 || into_y < 0 || into_width <= 0 || into_x + width > into_width) return fail(env, "grab: bad place in `into`");
    target_row = (size_t)into_width * 4;
    size_t first = (size_t)into_y * target_row + (size_t)into_x * 4;
    if (first + (size_t)(height - 1) * target_row + row > length) return fail(env, "grab: `into` is too small");
    target = (char *)data + first;
    result = argv[4];
  }
  size_t bytes = row * (size_t)height;
  /* Rows a band: what fits the segment (at least one row, however wide). */
  int band = (int)(SEGMENT_BYTES / row);
  if (band < 1) band = 1;
  if (band > height) band = height;
  char why[160];
  if (ensure_segment(row * (size_t)band, why, sizeof why) != 0) return fail(env, why);
  if (!target) {
    void *data;
    if (napi_create_buffer(env, bytes, &data, &result) != napi_ok) return fail(env, "grab: out of memory");
    target = data;
  }
  for (int top = 0; top < height; top += band) {
    int rows = height - top < band ? height - top : band;
    XImage *image = XShmCreateImage(grabber.display, grabber.visual, grabber.depth, ZPixmap, grabber.shm.shmaddr, &grabber.shm, width, rows);
    if (!image) return fail(env, "grab: XShmCreateImage failed");
    x_error = 0;
    Status got = XShmGetImage(grabber.display, grabber.root, image, x, y + top, AllPlanes);
    if (!got || x_error) {
      image->data = NULL;
      XDestroyImage(image);
      /* Outside the screen (it shrank) the server answers BadMatch: caught by on_x_error, not the end of the process. */
      return fail(env, x_error == BadMatch ? "grab: the rectangle is outside the screen" : "grab: XShmGetImage failed");
    }
    char *to = target + (size_t)top * target_row;
    if ((size_t)image->bytes_per_line == row && target_row == row) {
      memcpy(to, image->data, row * (size_t)rows);
    } else {
      for (int r = 0; r < rows; r++) memcpy(to + (size_t)r * target_row, image->data + (size_t)r * image->bytes_per_line, row);
    }
    image->data = NULL; /* the segment is ours, not the image's */
    XDestroyImage(image);
  }
  return result;
}

/* size(): the root window's { width, height } now. */
static napi_value size(napi_env env, napi_callback_info info) {
  (void)info;
  if (!grabber.display) return fail(env, "size: not open");
  XWindowAttributes root;
  if (!XGetWindowAttributes(grabber.display, grabber.root, &root)) return fail(env, "size: the root window is gone");
  napi_value out, w, h;
  napi_create_object(env, &out);
  napi_create_int32(env, root.width, &w);
  napi_create_int32(env, root.height, &h);
  napi_set_named_property(env, out, "width", w);
  napi_set_named_property(env, out, "height", h);
  return out;
}

/* close(): detaches the segment and closes the connection (also done by the system at exit). */
static napi_value close_display(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  if (!grabber.display) return NULL;
  detach();
  XCloseDisplay(grabber.display);
  grabber.display = NULL;
  return NULL;
}

/* native/kernels.c: passes over the pixels, pure, linked into this binary (the agent's one native binary). */
napi_value row_prints(napi_env env, napi_callback_info info);
napi_value changed_tiles(napi_env env, napi_callback_info info);
napi_value anchors(napi_env env, napi_callback_info info);
napi_value scroll_tiles(napi_env env, napi_callback_info info);

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "open", NULL, open_display, NULL, NULL, NULL, napi_enumerable, NULL },
    { "grab", NULL, grab, NULL, NULL, NULL, napi_enumerable, NULL },
    { "size", NULL, size, NULL, NULL, NULL, napi_enumerable, NULL },
    { "close", NULL, close_display, NULL, NULL, NULL, napi_enumerable, NULL },
    { "rowPrints", NULL, row_prints, NULL, NULL, NULL, napi_enumerable, NULL },
    { "changedTiles", NULL, changed_tiles, NULL, NULL, NULL, napi_enumerable, NULL },
    { "anchors", NULL, anchors, NULL, NULL, NULL, napi_enumerable, NULL },
    { "scrollTiles", NULL, scroll_tiles, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
