/*
 * mkgguf - write a tiny random-weight llama model in GGUF v3 format.
 *
 * usage: mkgguf OUT.gguf [SEED]
 *
 * The model is just big enough for llama.cpp (llama-bench) to load and run:
 * arch "llama", 2 blocks, embedding 64, feed-forward 128, 4 heads, a vocab of
 * 512 tokens with the "llama" (SentencePiece) tokenizer, all tensors F32.
 * Same SEED gives byte-identical output. Only libc is needed; the file is
 * written little-endian regardless of the host byte order.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_VOCAB 512
#define N_EMBD 64
#define N_FF 128
#define N_HEAD 4
#define N_HEAD_KV 4
#define N_LAYER 2
#define N_CTX 2048
#define ALIGNMENT 32

enum gguf_type {
    GGUF_UINT32 = 4,
    GGUF_INT32 = 5,
    GGUF_FLOAT32 = 6,
    GGUF_BOOL = 7,
    GGUF_STRING = 8,
    GGUF_ARRAY = 9,
};

#define GGML_TYPE_F32 0u

/* ---- output helpers (little-endian, error latched in a flag) ---------- */

static FILE *out;
static int out_err;
static uint64_t out_pos;

static void put_bytes(const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, out) != n)
        out_err = 1;
    out_pos += n;
}

static void put_u8(uint8_t v) { put_bytes(&v, 1); }

static void put_u32(uint32_t v)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    put_bytes(b, 4);
}

static void put_u64(uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    put_bytes(b, 8);
}

static void put_f32(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    put_u32(u);
}

static void put_str(const char *s)
{
    size_t n = strlen(s);
    put_u64(n);
    put_bytes(s, n);
}

static void pad_to(uint64_t align)
{
    while (out_pos % align)
        put_u8(0);
}

/* ---- key/value helpers ------------------------------------------------- */

static int n_kv_written;

static void kv_key(const char *k)
{
    put_str(k);
    n_kv_written++;
}

static void kv_u32(const char *k, uint32_t v)
{
    kv_key(k);
    put_u32(GGUF_UINT32);
    put_u32(v);
}

static void kv_f32(const char *k, float v)
{
    kv_key(k);
    put_u32(GGUF_FLOAT32);
    put_f32(v);
}

static void kv_bool(const char *k, int v)
{
    kv_key(k);
    put_u32(GGUF_BOOL);
    put_u8(v ? 1 : 0);
}

static void kv_str(const char *k, const char *v)
{
    kv_key(k);
    put_u32(GGUF_STRING);
    put_str(v);
}

/* ---- vocabulary ---------------------------------------------------------- */

/* llama token types */
enum { TT_NORMAL = 1, TT_UNKNOWN = 2, TT_CONTROL = 3, TT_BYTE = 6 };

static void token_text(int id, char *buf, size_t len)
{
    if (id == 0)
        snprintf(buf, len, "<unk>");
    else if (id == 1)
        snprintf(buf, len, "<s>");
    else if (id == 2)
        snprintf(buf, len, "</s>");
    else if (id < 3 + 256)
        snprintf(buf, len, "<0x%02X>", (unsigned)(id - 3));
    else
        /* "\xe2\x96\x81" is U+2581, SentencePiece's word-boundary marker */
        snprintf(buf, len, "\xe2\x96\x81t%d", id - 259);
}

static int token_type(int id)
{
    if (id == 0)
        return TT_UNKNOWN;
    if (id <= 2)
        return TT_CONTROL;
    if (id < 3 + 256)
        return TT_BYTE;
    return TT_NORMAL;
}

/* ---- tensors ------------------------------------------------------------- */

struct tensor {
    char name[64];
    uint32_t n_dims;
    uint64_t ne[2];
    int is_norm; /* filled with 1.0 instead of random values */
    uint64_t offset;
};

#define MAX_TENSORS (3 + 9 * N_LAYER)
static struct tensor tensors[MAX_TENSORS];
static int n_tensors;

static void add_tensor(const char *name, uint64_t ne0, uint64_t ne1, int is_norm)
{
    struct tensor *t = &tensors[n_tensors++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->ne[0] = ne0;
    t->ne[1] = ne1;
    t->n_dims = ne1 ? 2 : 1;
    t->is_norm = is_norm;
}

static uint64_t tensor_nelem(const struct tensor *t)
{
    return t->n_dims == 2 ? t->ne[0] * t->ne[1] : t->ne[0];
}

/* ---- PRNG (xorshift64*) --------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

/* uniform in [-scale, scale) */
static float rng_float(float scale)
{
    double u = (double)(rng_next() >> 11) / 9007199254740992.0; /* [0,1) */
    return (float)((u * 2.0 - 1.0) * scale);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fprintf(stderr, "usage: %s OUT.gguf [SEED]\n", argv[0]);
        return 2;
    }
    uint64_t seed = 42;
    if (argc == 3) {
        char *end;
        errno = 0;
        seed = strtoull(argv[2], &end, 0);
        if (errno || *end || end == argv[2]) {
            fprintf(stderr, "mkgguf: bad seed '%s'\n", argv[2]);
            return 2;
        }
    }
    rng_state = seed * 0x9E3779B97F4A7C15ULL + 0x1234567ULL;
    if (!rng_state)
        rng_state = 1;

    /* tensor table; ggml shapes are {ne0 = row length, ne1 = rows} */
    add_tensor("token_embd.weight", N_EMBD, N_VOCAB, 0);
    add_tensor("output_norm.weight", N_EMBD, 0, 1);
    add_tensor("output.weight", N_EMBD, N_VOCAB, 0);
    for (int l = 0; l < N_LAYER; l++) {
        char n[64];
#define T(suffix, ne0, ne1, norm)                                    \
    do {                                                             \
        snprintf(n, sizeof n, "blk.%d." suffix ".weight", l);        \
        add_tensor(n, ne0, ne1, norm);                               \
    } while (0)
        T("attn_norm", N_EMBD, 0, 1);
        T("attn_q", N_EMBD, N_EMBD, 0);
        T("attn_k", N_EMBD, N_EMBD / N_HEAD * N_HEAD_KV, 0);
        T("attn_v", N_EMBD, N_EMBD / N_HEAD * N_HEAD_KV, 0);
        T("attn_output", N_EMBD, N_EMBD, 0);
        T("ffn_norm", N_EMBD, 0, 1);
        T("ffn_gate", N_EMBD, N_FF, 0);
        T("ffn_up", N_EMBD, N_FF, 0);
        T("ffn_down", N_FF, N_EMBD, 0);
#undef T
    }
    uint64_t off = 0;
    for (int i = 0; i < n_tensors; i++) {
        tensors[i].offset = off;
        off += tensor_nelem(&tensors[i]) * 4;
        off = (off + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    size_t plen = strlen(argv[1]) + 8;
    char *tmp = malloc(plen);
    if (!tmp) {
        perror("mkgguf");
        return 1;
    }
    snprintf(tmp, plen, "%s.tmp", argv[1]);
    out = fopen(tmp, "wb");
    if (!out) {
        fprintf(stderr, "mkgguf: %s: %s\n", tmp, strerror(errno));
        free(tmp);
        return 1;
    }

    const uint64_t n_kv = 22;
    put_bytes("GGUF", 4);
    put_u32(3);
    put_u64((uint64_t)n_tensors);
    put_u64(n_kv);

    /* 1..10 */
    kv_str("general.architecture", "llama");
    kv_str("general.name", "tbx-tiny");
    kv_u32("general.alignment", ALIGNMENT);
    kv_u32("general.file_type", 0); /* ALL_F32 */
    kv_u32("llama.context_length", N_CTX);
    kv_u32("llama.embedding_length", N_EMBD);
    kv_u32("llama.block_count", N_LAYER);
    kv_u32("llama.feed_forward_length", N_FF);
    kv_u32("llama.attention.head_count", N_HEAD);
    kv_u32("llama.attention.head_count_kv", N_HEAD_KV);
    /* 11..14 */
    kv_f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
    kv_u32("llama.rope.dimension_count", N_EMBD / N_HEAD);
    kv_f32("llama.rope.freq_base", 10000.0f);
    kv_str("tokenizer.ggml.model", "llama");
    /* 15: tokens */
    kv_key("tokenizer.ggml.tokens");
    put_u32(GGUF_ARRAY);
    put_u32(GGUF_STRING);
    put_u64(N_VOCAB);
    for (int i = 0; i < N_VOCAB; i++) {
        char buf[32];
        token_text(i, buf, sizeof buf);
        put_str(buf);
    }
    /* 16: scores */
    kv_key("tokenizer.ggml.scores");
    put_u32(GGUF_ARRAY);
    put_u32(GGUF_FLOAT32);
    put_u64(N_VOCAB);
    for (int i = 0; i < N_VOCAB; i++)
        put_f32(token_type(i) == TT_NORMAL ? -(float)(i - 259) : 0.0f);
    /* 17: token types */
    kv_key("tokenizer.ggml.token_type");
    put_u32(GGUF_ARRAY);
    put_u32(GGUF_INT32);
    put_u64(N_VOCAB);
    for (int i = 0; i < N_VOCAB; i++)
        put_u32((uint32_t)token_type(i));
    /* 18..22 */
    kv_u32("tokenizer.ggml.bos_token_id", 1);
    kv_u32("tokenizer.ggml.eos_token_id", 2);
    kv_u32("tokenizer.ggml.unknown_token_id", 0);
    kv_bool("tokenizer.ggml.add_bos_token", 1);
    kv_bool("tokenizer.ggml.add_eos_token", 0);
    if ((uint64_t)n_kv_written != n_kv) {
        fprintf(stderr, "mkgguf: internal error: %d KV pairs written, header says %" PRIu64 "\n",
                n_kv_written, n_kv);
        fclose(out);
        remove(tmp);
        free(tmp);
        return 1;
    }

    for (int i = 0; i < n_tensors; i++) {
        const struct tensor *t = &tensors[i];
        put_str(t->name);
        put_u32(t->n_dims);
        for (uint32_t d = 0; d < t->n_dims; d++)
            put_u64(t->ne[d]);
        put_u32(GGML_TYPE_F32);
        put_u64(t->offset);
    }
    pad_to(ALIGNMENT);

    const uint64_t data_start = out_pos;
    for (int i = 0; i < n_tensors; i++) {
        const struct tensor *t = &tensors[i];
        while (out_pos - data_start < t->offset)
            put_u8(0);
        uint64_t n = tensor_nelem(t);
        /* scale ~ 1/sqrt(fan_in) keeps activations sane */
        float scale = 1.0f / 8.0f;
        if (!strcmp(t->name, "token_embd.weight"))
            scale = 0.5f;
        for (uint64_t j = 0; j < n; j++)
            put_f32(t->is_norm ? 1.0f : rng_float(scale));
    }
    pad_to(ALIGNMENT);

    if (fflush(out) != 0)
        out_err = 1;
    if (fclose(out) != 0)
        out_err = 1;
    if (out_err) {
        fprintf(stderr, "mkgguf: write error on %s\n", tmp);
        remove(tmp);
        free(tmp);
        return 1;
    }
    if (rename(tmp, argv[1]) != 0) {
        fprintf(stderr, "mkgguf: rename %s -> %s: %s\n", tmp, argv[1], strerror(errno));
        remove(tmp);
        free(tmp);
        return 1;
    }
    free(tmp);
    return 0;
}
