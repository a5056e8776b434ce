/*
 * agentreel._speedups: optional C versions of the recorder's hottest loops.
 *
 * The package works without this module (every function here has a
 * pure-Python twin that gives the same answers; tests hold the two to each
 * other). It is built when a C compiler is present at install time.
 *
 * has_token_run(text, length) -> bool
 *     Whether `text` (bytes or str) holds `length` or more consecutive
 *     "token characters": ASCII letters, digits and _-+/=.~ . Every secret
 *     shape the redactor knows needs such a run, so a step's attributes
 *     without one skip the regular expressions. The pure-Python twin maps
 *     the text to two classes with bytes.translate and searches the result;
 *     that costs about 1.5 ns a byte, most of what recording a step with a
 *     kilobyte of text costs. Here the classes of 64 bytes at a time become
 *     the bits of one word (by SSE2 compares where the CPU has them, else by
 *     a table), and a run is found with a few shifts: no branch depends on
 *     the text's bytes, so it runs at a fraction of a nanosecond a byte.
 *
 *     A non-ASCII character is never a token character, in bytes (UTF-8,
 *     where each of its bytes is >= 0x80) or in str (any code point >= 128),
 *     so the answer for a str is the answer for its UTF-8 encoding.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#define TOKEN_CHARS \
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+/=.~"

/* 1 for a token character, 0 for every other byte (filled at import). */
static uint8_t is_token[256];

/* Nonzero if `bits` has `length` (1..64) consecutive set bits. Each step
 * keeps a bit only if the bits above it, as far as the runs already proven,
 * are set too: after k steps a set bit starts a run of 2^k, and the last
 * shift tops it up to `length`. */
static inline uint64_t
run_in_word(uint64_t bits, unsigned length)
{
    unsigned have = 1;
    while (have * 2 <= length) {
        bits &= bits >> have;
        have *= 2;
    }
    if (have < length) {
        bits &= bits >> (length - have);
    }
    return bits;
}

static inline unsigned
low_ones(uint64_t bits)
{
    unsigned n = 0;
    while (bits & 1) {
        bits >>= 1;
        n++;
    }
    return n;
}

static inline unsigned
high_ones(uint64_t bits)
{
    unsigned n = 0;
    while (bits & ((uint64_t)1 << 63)) {
        bits <<= 1;
        n++;
    }
    return n;
}

#if defined(__SSE2__)
#include <emmintrin.h>

/* classify(p, 64) with SSE2 (every x86-64 CPU has it): 16 bytes at a time,
 * the token characters being the ranges - to 9, A to Z, a to z and four
 * single characters. Signed byte compares are fine: every token character is
 * below 0x80, and bytes from 0x80 up compare as negative, below all ranges. */
static inline uint64_t
classify64(const uint8_t *p)
{
    uint64_t bits = 0;
    for (int i = 0; i < 64; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + i));
#define IN_RANGE(lo, hi) _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8((char)((lo) - 1))), \
                                       _mm_cmplt_epi8(v, _mm_set1_epi8((char)((hi) + 1))))
#define IS(c) _mm_cmpeq_epi8(v, _mm_set1_epi8(c))
        __m128i t = _mm_or_si128(IN_RANGE('a', 'z'), IN_RANGE('A', 'Z'));
        t = _mm_or_si128(t, IN_RANGE('-', '9'));
        t = _mm_or_si128(t, _mm_or_si128(IS('+'), IS('=')));
        t = _mm_or_si128(t, _mm_or_si128(IS('_'), IS('~')));
#undef IN_RANGE
#undef IS
        bits |= (uint64_t)(uint16_t)_mm_movemask_epi8(t) << i;
    }
    return bits;
}
#endif

/* Bit i of the result is set if p[i] is a token character (n <= 64). */
static inline uint64_t
classify(const uint8_t *p, Py_ssize_t n)
{
#if defined(__SSE2__)
    if (n == 64) {
        return classify64(p);
    }
#endif
    uint64_t bits = 0;
    Py_ssize_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t eight = (uint64_t)is_token[p[i]]
                         | (uint64_t)is_token[p[i + 1]] << 1
                         | (uint64_t)is_token[p[i + 2]] << 2
                         | (uint64_t)is_token[p[i + 3]] << 3
                         | (uint64_t)is_token[p[i + 4]] << 4
                         | (uint64_t)is_token[p[i + 5]] << 5
                         | (uint64_t)is_token[p[i + 6]] << 6
                         | (uint64_t)is_token[p[i + 7]] << 7;
        bits |= eight << i;
    }
    for (; i < n; i++) {
        bits |= (uint64_t)is_token[p[i]] << i;
    }
    return bits;
}

static int
bytes_have_run(const uint8_t *p, Py_ssize_t n, unsigned length)
{
    /* Token characters at the end of the blocks already seen, which a run
     * in the next block continues. */
    Py_ssize_t carried = 0;
    while (n > 0) {
        Py_ssize_t size = n < 64 ? n : 64;
        uint64_t bits = classify(p, size);
        if (run_in_word(bits, length)) {
            return 1;
        }
        if (size == 64 && bits == UINT64_MAX) {
            carried += 64;
        }
        else {
            if (carried + (Py_ssize_t)low_ones(bits) >= (Py_ssize_t)length) {
                return 1;
            }
            /* A short last block ends the text: nothing continues it. */
            carried = size == 64 ? (Py_ssize_t)high_ones(bits) : 0;
        }
        if (carried >= (Py_ssize_t)length) {
            return 1;
        }
        p += size;
        n -= size;
    }
    return 0;
}

/* The rare case of a str with characters beyond Latin-1. */
static int
wide_has_run(int kind, const void *data, Py_ssize_t n, unsigned length)
{
    unsigned run = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c < 128 && is_token[c]) {
            if (++run >= length) {
                return 1;
            }
        }
        else {
            run = 0;
        }
    }
    return 0;
}

static PyObject *
has_token_run(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "has_token_run(text, length) takes two arguments");
        return NULL;
    }
    long length = PyLong_AsLong(args[1]);
    if (length == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (length < 1 || length > 64) {
        PyErr_SetString(PyExc_ValueError, "length must be between 1 and 64");
        return NULL;
    }
    PyObject *text = args[0];
    int found;
    if (PyBytes_Check(text)) {
        found = bytes_have_run((const uint8_t *)PyBytes_AS_STRING(text),
                               PyBytes_GET_SIZE(text), (unsigned)length);
    }
    else if (PyUnicode_Check(text)) {
#if PY_VERSION_HEX < 0x030C0000
        if (PyUnicode_READY(text) < 0) { /* every str is ready from 3.12 on */
            return NULL;
        }
#endif
        int kind = PyUnicode_KIND(text);
        Py_ssize_t n = PyUnicode_GET_LENGTH(text);
        if (kind == PyUnicode_1BYTE_KIND) {
            /* Latin-1 code points are their own bytes; those >= 128 are not tokens. */
            found = bytes_have_run(PyUnicode_1BYTE_DATA(text), n, (unsigned)length);
        }
        else {
            found = wide_has_run(kind, PyUnicode_DATA(text), n, (unsigned)length);
        }
    }
    else {
        PyErr_Format(PyExc_TypeError, "has_token_run() wants bytes or str, not %.100s",
                     Py_TYPE(text)->tp_name);
        return NULL;
    }
    return PyBool_FromLong(found);
}

static PyMethodDef methods[] = {
    {"has_token_run", (PyCFunction)(void (*)(void))has_token_run, METH_FASTCALL,
     "has_token_run(text, length) -> bool\n\n"
     "Whether text (bytes or str) holds length (1..64) or more consecutive\n"
     "ASCII letters, digits or _-+/=.~ characters."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    "agentreel._speedups",
    "Optional C versions of agentreel's hottest loops (see the .c file).",
    0,
    methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    for (const char *c = TOKEN_CHARS; *c; c++) {
        is_token[(uint8_t)*c] = 1;
    }
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddStringConstant(m, "TOKEN_CHARS", TOKEN_CHARS) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
