/* cmd_life.c: `start`, `kill`, `delete`, `pause`, `resume`: their options,
 * then the core (core_life.c). */
#include "core.h"
#include "state.h"

#include <errno.h>
#include <signal.h>

static const char *one_id(int argc, char **argv, int i, const char *cmd, struct ur_err *err)
{
    if (i >= argc) {
        ur_errf(err, -EINVAL, "%s: a container id is required", cmd);
        return NULL;
    }
    return argv[i];
}

int cmd_start(struct ctx *c, int argc, char **argv, struct ur_err *err)
{
    const char *id = one_id(argc, argv, 0, "start", err);
    return id ? core_start(c, id, err) : -EINVAL;
}

int cmd_kill(struct ctx *c, int argc, char **argv, struct ur_err *err)
{
    bool all = false;
    const struct opt tbl[] = {{"all", 'a', OPT_FLAG, &all}, {NULL, 0, 0, NULL}};
    int i = 0, rc;
    if ((rc = opts_parse(argc, argv, &i, tbl, err)) < 0)
        return rc;
    const char *id = one_id(argc, argv, i, "kill", err);
    if (!id)
        return -EINVAL;
    int sig = SIGTERM;
    if (i + 1 < argc && (sig = signal_parse(argv[i + 1])) < 0)
        return ur_errf(err, -EINVAL, "kill: unknown signal \"%s\"", argv[i + 1]);
    return core_kill(c, id, sig, all, err);
}

int cmd_delete(struct ctx *c, int argc, char **argv, struct ur_err *err)
{
    bool force = false;
    const struct opt tbl[] = {{"force", 'f', OPT_FLAG, &force}, {NULL, 0, 0, NULL}};
    int i = 0, rc;
    if ((rc = opts_parse(argc, argv, &i, tbl, err)) < 0)
        return rc;
    const char *id = one_id(argc, argv, i, "delete", err);
    if (!id)
        return -EINVAL;
    if ((rc = state_check_id(id, err)) < 0)
        return rc;
    return core_delete(c, id, force, err);
}

static int pause_resume(struct ctx *c, int argc, char **argv, bool pause, struct ur_err *err)
{
    const char *id = one_id(argc, argv, 0, pause ? "pause" : "resume", err);
    return id ? core_pause(c, id, pause, err) : -EINVAL;
}

int cmd_pause(struct ctx *c, int argc, char **argv, struct ur_err *err)
{
    return pause_resume(c, argc, argv, true, err);
}

int cmd_resume(struct ctx *c, int argc, char **argv, struct ur_err *err)
{
    return pause_resume(c, argc, argv, false, err);
}
