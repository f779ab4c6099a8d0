/* libFuzzer target: the config loader (libyaml + validation). The first
 * byte picks which file of a config directory the rest becomes ('0'
 * events/x.yaml, '1' agendad.yaml, '2' members.yaml, modulo 3); the other
 * files are the sample network's, so that events can reference its members
 * and categories. The directory lives in /dev/shm when it can. */
#include "config.h"
#include "tz.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[3] = {"events/x.yaml", "agendad.yaml", "members.yaml"};
static char dir[256];
static char *sample[3];
static size_t sample_len[3];

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return s;
}

static void put(int which, const void *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, names[which]);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    fwrite(data, 1, len, f);
    fclose(f);
}

static void cleanup(void)
{
    char path[512];
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/events", dir);
    rmdir(path);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    struct stat st;
    const char *base = stat("/dev/shm", &st) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, sizeof dir, "%s/agendad-fuzz-config-XXXXXX", base);
    if (!mkdtemp(dir))
        abort();
    char events[300], path[512];
    snprintf(events, sizeof events, "%s/events", dir);
    mkdir(events, 0700);
    atexit(cleanup);
    sample[0] = strdup("");
    for (int i = 1; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", AGENDAD_SAMPLE_CONFIG, names[i]);
        sample[i] = slurp(path, &sample_len[i]);
        if (!sample[i])
            abort();
    }
    for (int i = 0; i < 3; i++)
        put(i, sample[i], sample_len[i]);
    return ag_tz_init();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int last = 0;
    if (size == 0)
        return 0;
    int which = data[0] % 3;
    if (which != last)
        put(last, sample[last], sample_len[last]);
    last = which;
    put(which, data + 1, size - 1);
    ag_config *cfg = NULL;
    ag_diags d = {0};
    ag_config_load(dir, &cfg, &d);
    ag_config_free(cfg);
    ag_diags_free(&d);
    return 0;
}
