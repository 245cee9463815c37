/* runcmd.c - fork/exec with pipes and poll (no busy waiting); a third
 * pipe tells the parent whether exec failed, and why. */
#define _GNU_SOURCE
#include "runcmd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void close_pair(int p[2])
{
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	p[0] = p[1] = -1;
}

static void set_env(char *const *env)
{
	for (size_t i = 0; env && env[i]; i++) {
		const char *eq = strchr(env[i], '=');
		if (!eq)
			continue;
		char *k = xstrndup(env[i], (size_t)(eq - env[i]));
		setenv(k, eq + 1, 1);
		free(k);
	}
}

/* In the child: never returns. */
static void child(const struct runcmd *c, pid_t parent, int out_w, int err_w, int status_w)
{
	if (c->detach) {
		setsid();
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent) /* tbx died before prctl */
			_exit(127);
	}
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	int null = open("/dev/null", O_RDWR);
	if (null >= 0)
		dup2(null, STDIN_FILENO);
	if (c->stdout_null && null >= 0)
		dup2(null, STDOUT_FILENO);
	else if (out_w >= 0)
		dup2(out_w, STDOUT_FILENO);
	if (c->err == RUNCMD_ERR_FD)
		dup2(c->err_fd, STDERR_FILENO);
	else if (c->err == RUNCMD_ERR_MERGE)
		dup2(out_w, STDERR_FILENO);
	else
		dup2(err_w, STDERR_FILENO);
	set_env(c->env);
	execvp(c->argv[0], c->argv);
	int saved = errno;
	ssize_t w = write(status_w, &saved, sizeof(saved));
	(void)w;
	_exit(127);
}

int runcmd_start(struct runcmd *c, struct err *e)
{
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, status[2] = { -1, -1 };
	c->pid = 0;
	c->out_fd = c->errp_fd = -1;
	c->exec_errno = 0;
	bool want_out = !c->stdout_null || c->err == RUNCMD_ERR_MERGE;
	if ((want_out && pipe2(out, O_CLOEXEC) < 0) ||
	    (c->err == RUNCMD_ERR_PIPE && pipe2(errp, O_CLOEXEC) < 0) ||
	    pipe2(status, O_CLOEXEC) < 0) {
		int saved = errno;
		close_pair(out), close_pair(errp), close_pair(status);
		return err_set(e, "cannot create a pipe: %s", strerror(saved));
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		int saved = errno;
		close_pair(out), close_pair(errp), close_pair(status);
		return err_set(e, "cannot fork to run '%s': %s", c->argv[0], strerror(saved));
	}
	if (pid == 0)
		child(c, parent, out[1], errp[1], status[1]);
	if (out[1] >= 0)
		close(out[1]);
	if (errp[1] >= 0)
		close(errp[1]);
	close(status[1]);
	int exec_errno = 0;
	ssize_t got;
	while ((got = read(status[0], &exec_errno, sizeof(exec_errno))) < 0 && errno == EINTR)
		;
	close(status[0]);
	if (got == (ssize_t)sizeof(exec_errno)) {
		if (out[0] >= 0)
			close(out[0]);
		if (errp[0] >= 0)
			close(errp[0]);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		c->exec_errno = exec_errno;
		return err_set(e, "cannot run '%s': %s", c->argv[0], strerror(exec_errno));
	}
	c->pid = pid;
	c->out_fd = out[0];
	c->errp_fd = errp[0];
	return 0;
}

int runcmd_pump(struct runcmd *c, runcmd_output_fn fn, void *ctx, double timeout_s)
{
	struct pollfd fds[2] = { { c->out_fd, POLLIN, 0 }, { c->errp_fd, POLLIN, 0 } };
	int open_fds = (c->out_fd >= 0) + (c->errp_fd >= 0);
	double deadline = timeout_s > 0 ? now_mono() + timeout_s : 0;
	bool signalled = false;
	int timed_out = 0;
	char chunk[65536];
	while (open_fds > 0) {
		if (g_interrupted && !signalled) {
			kill(c->pid, g_interrupted);
			signalled = true;
		}
		int wait_ms = -1;
		if (deadline > 0) {
			double left = deadline - now_mono();
			if (left <= 0) {
				kill(c->pid, SIGKILL);
				timed_out = 1;
				break;
			}
			wait_ms = (int)(left * 1000) + 1;
		}
		int n = poll(fds, 2, wait_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t r = read(fds[i].fd, chunk, sizeof(chunk));
			if (r > 0) {
				if (fn)
					fn(i + 1, chunk, (size_t)r, ctx);
			} else if (r == 0 || errno != EINTR) {
				close(fds[i].fd);
				fds[i].fd = -1;
				open_fds--;
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (fds[i].fd >= 0)
			close(fds[i].fd);
	c->out_fd = c->errp_fd = -1;
	return timed_out;
}

static int status_code(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void runcmd_finish(struct runcmd *c, int *exit_code)
{
	int st = 0;
	bool signalled = false;
	while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR) {
		if (g_interrupted && !signalled) {
			kill(c->pid, g_interrupted);
			signalled = true;
		}
	}
	c->pid = 0;
	if (exit_code)
		*exit_code = status_code(st);
}

int runcmd_run(struct runcmd *c, runcmd_output_fn fn, void *ctx, double timeout_s, int *exit_code,
	       struct err *e)
{
	if (runcmd_start(c, e) < 0)
		return -1;
	int timed_out = runcmd_pump(c, fn, ctx, timeout_s);
	runcmd_finish(c, exit_code);
	return timed_out;
}

bool runcmd_exited(struct runcmd *c, int *exit_code)
{
	int st;
	if (c->pid <= 0 || waitpid(c->pid, &st, WNOHANG) != c->pid)
		return false;
	c->pid = 0;
	if (exit_code)
		*exit_code = status_code(st);
	return true;
}

void runcmd_stop(struct runcmd *c)
{
	if (c->pid <= 0)
		return;
	kill(c->pid, SIGTERM);
	while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
		;
	c->pid = 0;
}
