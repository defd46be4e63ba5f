/* cmdline.c: the guest's command line. The monitor hands over one
 * NUL-terminated string (the arguments after the kernel, joined by spaces);
 * we keep the raw string and split a private copy into argv on spaces. */
#include "guest.h"

#define GUEST_MAX_ARGS 32

static char cmdline_copy[HVT_CMDLINE_SIZE];
static char *argv_buf[GUEST_MAX_ARGS + 1];

void guest_cmdline_split(int *argc, char ***argv);

const char *guest_cmdline(void)
{
    if (!guest_boot_info || !guest_boot_info->cmdline)
        return "";
    return (const char *)(uintptr_t)guest_boot_info->cmdline;
}

void guest_cmdline_split(int *argc, char ***argv)
{
    const char *src = guest_cmdline();
    size_t n = 0;
    int ac = 0;

    while (n < sizeof(cmdline_copy) - 1 && src[n]) {
        cmdline_copy[n] = src[n];
        n++;
    }
    cmdline_copy[n] = '\0';
    for (char *p = cmdline_copy; *p && ac < GUEST_MAX_ARGS;) {
        while (*p == ' ')
            *p++ = '\0';
        if (!*p)
            break;
        argv_buf[ac++] = p;
        while (*p && *p != ' ')
            p++;
    }
    argv_buf[ac] = NULL;
    *argc = ac;
    *argv = argv_buf;
}
