/* predict.c: run a frozen TensorFlow graph (.pb) from C, with no Python.
 *
 * Build: bash keras2pb/runtime/c/build.sh [OUT]   (finds TensorFlow's C API in the installed wheel)
 * Usage: predict GRAPH.pb -i NAME=FILE [-i NAME=FILE ...] -o NAME [-o NAME ...]
 *   -i  an input: the tensor name from the sidecar (image or image:0) and a file: a .npy
 *       array (float32, C order) or raw little-endian float32 with its shape after a colon:
 *       -i image=digit.f32:1,28,28,1
 *   -o  an output to fetch (probs or probs:0); repeat for several.
 * A graph with lookup tables has them filled first (its node keras2pb_init_tables).
 * Prints, for each output, a line "NAME: shape [d0, d1, ...]" and then its values, one row
 * (the last dimension) per line, with 9 significant digits (exact for float32).
 * Exit codes: 0 ok, 1 bad input (one line on stderr naming the file), 2 bad arguments.
 * TensorFlow logs start-up lines on stderr; TF_CPP_MIN_LOG_LEVEL=2 in the environment hides
 * most of them (set it before starting the program). On some CPUs the library still prints a
 * "oneDNN custom operations are on" line when it loads, unless TF_ENABLE_ONEDNN_OPTS=0 is set
 * too. This program's own lines start with "predict:" or "usage:". */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensorflow/c/c_api.h"

#define MAX_IO 16
#define MAX_DIMS 8
/* The node keras2pb.freezing.tables adds to fill a graph's lookup tables (TABLE_INITIALIZER). */
#define TABLE_INITIALIZER "keras2pb_init_tables"

typedef struct {
  char name[256]; /* operation name, without ":0" */
  int index;      /* output index of that operation */
  int64_t dims[MAX_DIMS];
  int ndims;
  float *data;
  size_t count;
} Tensor;

/* One line on stderr (TensorFlow's messages span lines: they are joined), then exit. */
static void die(int code, const char *file, const char *message) {
  fprintf(stderr, "predict: error: ");
  if (file) fprintf(stderr, "%s: ", file);
  int space = 0;
  for (const char *c = message; *c; c++) {
    if (*c == '\n' || *c == '\t' || *c == ' ') space = 1;
    else {
      if (space) fputc(' ', stderr);
      fputc(*c, stderr);
      space = 0;
    }
  }
  fputc('\n', stderr);
  exit(code);
}

static void usage(void) {
  fprintf(stderr, "usage: predict GRAPH.pb -i NAME=FILE.npy|FILE:d0,d1,... [-i ...] "
                  "-o NAME [-o ...]\n");
  exit(2);
}

static unsigned char *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) die(1, path, strerror(errno));
  if (fseek(f, 0, SEEK_END) != 0) die(1, path, "cannot seek");
  long n = ftell(f);
  if (n < 0) die(1, path, "cannot tell its size");
  rewind(f);
  unsigned char *buf = malloc((size_t)n + 1);
  if (!buf) die(1, path, "out of memory");
  if (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) die(1, path, "short read");
  fclose(f);
  buf[n] = 0;
  *size = (size_t)n;
  return buf;
}

/* "probs:1" -> name "probs", index 1 */
static void split_name(const char *text, Tensor *t) {
  const char *colon = strrchr(text, ':');
  size_t len = colon ? (size_t)(colon - text) : strlen(text);
  if (len == 0 || len >= sizeof t->name) die(2, NULL, "tensor name empty or too long");
  memcpy(t->name, text, len);
  t->name[len] = 0;
  t->index = colon ? atoi(colon + 1) : 0;
}

static int parse_dims(const char *text, int64_t *dims, const char *path) {
  int n = 0;
  while (*text) {
    char *end;
    errno = 0;
    long long d = strtoll(text, &end, 10);
    if (end == text || d < 0 || errno == ERANGE || n == MAX_DIMS) die(1, path, "bad shape");
    dims[n++] = d;
    text = end;
    while (*text == ',' || *text == ' ' || *text == ')' || *text == '(') text++;
  }
  return n;
}

/* The number of elements of a shape; dies (one line) when their bytes would not fit in
 * memory's address range: a hostile header's product must not wrap around to a small size. */
static size_t product(const int64_t *dims, int n, const char *path) {
  size_t p = 1;
  for (int i = 0; i < n; i++) {
    if (dims[i] != 0 && p > (SIZE_MAX / sizeof(float)) / (size_t)dims[i]) {
      char message[160];
      snprintf(message, sizeof message, "the shape's dimension %d (%lld) makes the array too "
               "large to hold", i, (long long)dims[i]);
      die(1, path, message);
    }
    p *= (size_t)dims[i];
  }
  return p;
}

/* A .npy file holding float32 in C order: header "{'descr': '<f4', 'fortran_order': False,
 * 'shape': (1, 28, 28, 1), }" after the magic, version and header length. */
static void read_npy(const char *path, Tensor *t) {
  size_t size;
  unsigned char *buf = read_file(path, &size);
  if (size < 10 || memcmp(buf, "\x93NUMPY", 6) != 0) die(1, path, "not a .npy file");
  size_t hlen, start;
  if (buf[6] == 1) {
    hlen = buf[8] | (buf[9] << 8);
    start = 10;
  } else {
    if (size < 12) die(1, path, "truncated .npy header");
    hlen = buf[8] | (buf[9] << 8) | ((size_t)buf[10] << 16) | ((size_t)buf[11] << 24);
    start = 12;
  }
  if (start + hlen > size) die(1, path, "truncated .npy header");
  char *header = malloc(hlen + 1);
  memcpy(header, buf + start, hlen);
  header[hlen] = 0;
  if (!strstr(header, "'<f4'")) die(1, path, "the .npy array is not float32 (need '<f4')");
  if (strstr(header, "'fortran_order': True")) die(1, path, "the .npy array is Fortran order");
  char *shape = strstr(header, "'shape': (");
  if (!shape) die(1, path, "no shape in the .npy header");
  shape += strlen("'shape': (");
  char *close = strchr(shape, ')');
  if (!close) die(1, path, "bad shape in the .npy header");
  *close = 0;
  t->ndims = parse_dims(shape, t->dims, path);
  t->count = product(t->dims, t->ndims, path);
  if (size - start - hlen != t->count * sizeof(float))
    die(1, path, "the .npy data size does not match its shape");
  t->data = malloc(t->count * sizeof(float) + 1);
  memcpy(t->data, buf + start + hlen, t->count * sizeof(float));
  free(header);
  free(buf);
}

/* Raw little-endian float32; the shape comes from the command line. */
static void read_raw(const char *path, const char *dims, Tensor *t) {
  size_t size;
  unsigned char *buf = read_file(path, &size);
  t->ndims = parse_dims(dims, t->dims, path);
  t->count = product(t->dims, t->ndims, path);
  if (size != t->count * sizeof(float)) {
    char message[160];
    snprintf(message, sizeof message, "holds %zu bytes, the shape %s needs %zu (float32)",
             size, dims, t->count * sizeof(float));
    die(1, path, message);
  }
  t->data = (float *)buf;
}

static void read_input(const char *arg, Tensor *t) {
  const char *eq = strchr(arg, '=');
  if (!eq) usage();
  char name[256];
  size_t len = (size_t)(eq - arg);
  if (len >= sizeof name) usage();
  memcpy(name, arg, len);
  name[len] = 0;
  split_name(name, t);
  char path[4096];
  snprintf(path, sizeof path, "%s", eq + 1);
  char *shape = strrchr(path, ':');
  size_t plen = strlen(path);
  if (plen > 4 && strcmp(path + plen - 4, ".npy") == 0) read_npy(path, t);
  else if (shape) {
    *shape = 0;
    read_raw(path, shape + 1, t);
  } else die(1, path, "not a .npy file; for raw float32 give the shape: FILE:d0,d1,...");
}

static TF_Output lookup(TF_Graph *graph, const Tensor *t, const char *pb, const char *what) {
  TF_Operation *op = TF_GraphOperationByName(graph, t->name);
  if (!op) {
    char message[400];
    snprintf(message, sizeof message, "no %s tensor '%.200s' in the graph (see its .pb.json)",
             what, t->name);
    die(1, pb, message);
  }
  TF_Output out = {op, t->index};
  return out;
}

static void print_tensor(const char *name, TF_Tensor *tensor, const char *pb) {
  int n = TF_NumDims(tensor);
  size_t count = 1, row = 1;
  printf("%s: shape [", name);
  for (int i = 0; i < n; i++) {
    int64_t d = TF_Dim(tensor, i);
    printf(i ? ", %lld" : "%lld", (long long)d);
    count *= (size_t)d;
  }
  printf("]\n");
  if (n > 0) row = (size_t)TF_Dim(tensor, n - 1);
  if (row == 0) row = 1;
  TF_DataType type = TF_TensorType(tensor);
  const void *data = TF_TensorData(tensor);
  for (size_t i = 0; i < count; i++) {
    if (type == TF_FLOAT) printf("%.9g", ((const float *)data)[i]);
    else if (type == TF_DOUBLE) printf("%.17g", ((const double *)data)[i]);
    else if (type == TF_INT32) printf("%d", ((const int32_t *)data)[i]);
    else if (type == TF_INT64) printf("%lld", (long long)((const int64_t *)data)[i]);
    else die(1, pb, "an output has a type this client does not print (not float/int)");
    putchar((i + 1) % row == 0 ? '\n' : ' ');
  }
}

int main(int argc, char **argv) {
  if (argc < 2 || argv[1][0] == '-') usage();
  const char *pb = argv[1];
  Tensor inputs[MAX_IO], outputs[MAX_IO];
  const char *out_names[MAX_IO];
  int n_in = 0, n_out = 0;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "-i") == 0 && i + 1 < argc && n_in < MAX_IO) {
      read_input(argv[++i], &inputs[n_in++]);
    } else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc && n_out < MAX_IO) {
      out_names[n_out] = argv[++i];
      split_name(argv[i], &outputs[n_out++]);
    } else {
      usage();
    }
  }
  if (n_in == 0 || n_out == 0) usage();

  size_t size;
  unsigned char *bytes = read_file(pb, &size);
  TF_Buffer *graph_def = TF_NewBufferFromString(bytes, size);
  free(bytes);
  TF_Graph *graph = TF_NewGraph();
  TF_Status *status = TF_NewStatus();
  TF_ImportGraphDefOptions *options = TF_NewImportGraphDefOptions(); /* no "import/" prefix */
  TF_GraphImportGraphDef(graph, graph_def, options, status);
  TF_DeleteImportGraphDefOptions(options);
  TF_DeleteBuffer(graph_def);
  if (TF_GetCode(status) != TF_OK) die(1, pb, TF_Message(status));

  TF_Output feeds[MAX_IO], fetches[MAX_IO];
  TF_Tensor *values[MAX_IO], *results[MAX_IO];
  for (int i = 0; i < n_in; i++) {
    feeds[i] = lookup(graph, &inputs[i], pb, "input");
    size_t nbytes = inputs[i].count * sizeof(float);
    values[i] = TF_AllocateTensor(TF_FLOAT, inputs[i].dims, inputs[i].ndims, nbytes);
    memcpy(TF_TensorData(values[i]), inputs[i].data, nbytes);
    free(inputs[i].data);
  }
  for (int i = 0; i < n_out; i++) fetches[i] = lookup(graph, &outputs[i], pb, "output");

  TF_SessionOptions *session_options = TF_NewSessionOptions();
  TF_Session *session = TF_NewSession(graph, session_options, status);
  TF_DeleteSessionOptions(session_options);
  if (TF_GetCode(status) != TF_OK) die(1, pb, TF_Message(status));
  /* A graph that carries lookup tables (TextVectorization, StringLookup) fills them with
   * this node, once, before the first run (the sidecar names it "table_initializer"). */
  TF_Operation *init_tables = TF_GraphOperationByName(graph, TABLE_INITIALIZER);
  if (init_tables) {
    TF_SessionRun(session, NULL, NULL, NULL, 0, NULL, NULL, 0, &init_tables, 1, NULL, status);
    if (TF_GetCode(status) != TF_OK) die(1, pb, TF_Message(status));
  }
  TF_SessionRun(session, NULL, feeds, values, n_in, fetches, results, n_out, NULL, 0, NULL,
                status);
  if (TF_GetCode(status) != TF_OK) die(1, pb, TF_Message(status));
  for (int i = 0; i < n_out; i++) {
    print_tensor(out_names[i], results[i], pb);
    TF_DeleteTensor(results[i]);
  }
  for (int i = 0; i < n_in; i++) TF_DeleteTensor(values[i]);
  TF_CloseSession(session, status);
  TF_DeleteSession(session, status);
  TF_DeleteGraph(graph);
  TF_DeleteStatus(status);
  return 0;
}
