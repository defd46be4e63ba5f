/* cmd_create.c: `create` and `run`: runc's options, then the core
 * (core_create.c, core_life.c). */
#include "core.h"
#include "state.h"

#include <errno.h>

struct create_args {
    struct core_create_opts o;
    bool no_pivot, no_new_keyring, detach, keep;
};

static int parse_create(int argc, char **argv, struct create_args *a, bool run, const char **id,
                        struct ur_err *err)
{
    struct opt tbl[] = {
        {"bundle", 'b', OPT_STR, &a->o.bundle},
        {"pid-file", 0, OPT_STR, &a->o.pid_file},
        {"console-socket", 0, OPT_STR, &a->o.console_socket},
        {"preserve-fds", 0, OPT_INT, &a->o.preserve_fds},
        {"no-pivot", 0, OPT_FLAG, &a->no_pivot},
        {"no-new-keyring", 0, OPT_FLAG, &a->no_new_keyring},
        {"detach", 'd', OPT_FLAG, &a->detach},
        {"keep", 0, OPT_FLAG, &a->keep},
        {NULL, 0, 0, NULL},
    };
    if (!run)
        tbl[6].name = NULL;
    int i = 0;
    int rc = opts_parse(argc, argv, &i, tbl, err);
    if (rc < 0)
        return rc;
    if (i >= argc)
        return ur_errf(err, -EINVAL, "%s: a container id is required", run ? "run" : "create");
    if (i + 1 < argc)
        return ur_errf(err, -EINVAL, "%s: unexpected argument \"%s\"", run ? "run" : "create",
                       argv[i + 1]);
    *id = argv[i];
    return state_check_id(*id, err);
}

int cmd_create(struct ctx *c, int argc, char **argv, struct ur_err *err)
{
    struct create_args a = {0};
    const char *id;
    int rc = parse_create(argc, argv, &a, false, &id, err);
    if (rc < 0)
        return rc;
    pid_t vmm;
    rc = core_create(c, id, &a.o, &vmm, err);
    return rc < 0 ? rc : 0;
}

int cmd_run(struct ctx *c, int argc, char **argv, struct ur_err *err)
{
    struct create_args a = {0};
    const char *id;
    int rc = parse_create(argc, argv, &a, true, &id, err);
    if (rc < 0)
        return rc;
    return core_run(c, id, &a.o, a.detach, a.keep, err);
}
