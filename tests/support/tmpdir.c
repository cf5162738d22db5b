/* tests/support/tmpdir.c - mkdtemp and a recursive remove.
 * SPDX-License-Identifier: MIT */
#include "tmpdir.h"

#include "core/mem.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *test_tmpdir_new(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[4096];

    snprintf(tmpl, sizeof tmpl, "%s/vigil-test-XXXXXX", base && *base ? base : "/tmp");
    if (mkdtemp(tmpl) == NULL) {
        perror("mkdtemp");
        abort();
    }
    return vg_xstrdup(tmpl);
}

static void test_rm_rf(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;

    if (d != NULL) {
        while ((e = readdir(d)) != NULL) {
            char sub[4096];
            struct stat sb;

            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            if (lstat(sub, &sb) == 0 && S_ISDIR(sb.st_mode))
                test_rm_rf(sub);
            else
                unlink(sub);
        }
        closedir(d);
    }
    rmdir(path);
}

void test_tmpdir_free(char *path)
{
    if (path == NULL)
        return;
    test_rm_rf(path);
    free(path);
}
