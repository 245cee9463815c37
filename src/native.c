/* native.c - fork/exec with two pipes and poll (no busy waiting). */
#define _GNU_SOURCE
#include "native.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

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

int native_run(char *const *argv, char *const *env, exec_output_fn fn, void *ctx, int *exit_code,
	       struct err *e)
{
	int out[2], errp[2], status[2];
	if (pipe2(out, O_CLOEXEC) < 0)
		return err_set(e, "cannot create a pipe: %s", strerror(errno));
	if (pipe2(errp, O_CLOEXEC) < 0) {
		close(out[0]), close(out[1]);
		return err_set(e, "cannot create a pipe: %s", strerror(errno));
	}
	/* tells the parent whether execvp failed, and why */
	if (pipe2(status, O_CLOEXEC) < 0) {
		close(out[0]), close(out[1]), close(errp[0]), close(errp[1]);
		return err_set(e, "cannot create a pipe: %s", strerror(errno));
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(out[0]), close(out[1]), close(errp[0]), close(errp[1]);
		close(status[0]), close(status[1]);
		return err_set(e, "cannot fork: %s", strerror(errno));
	}
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		dup2(out[1], STDOUT_FILENO);
		dup2(errp[1], STDERR_FILENO);
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		set_env(env);
		execvp(argv[0], argv);
		int saved = errno;
		ssize_t w = write(status[1], &saved, sizeof(saved));
		(void)w;
		_exit(127);
	}
	close(out[1]), close(errp[1]), close(status[1]);
	int exec_errno = 0;
	ssize_t got = read(status[0], &exec_errno, sizeof(exec_errno));
	close(status[0]);
	if (got == (ssize_t)sizeof(exec_errno)) {
		close(out[0]), close(errp[0]);
		waitpid(pid, NULL, 0);
		return err_set(e, "cannot run '%s': %s", argv[0], strerror(exec_errno));
	}
	struct pollfd fds[2] = { { out[0], POLLIN, 0 }, { errp[0], POLLIN, 0 } };
	int open_fds = 2;
	bool signalled = false;
	char chunk[65536];
	while (open_fds > 0) {
		if (g_interrupted && !signalled) {
			kill(pid, g_interrupted);
			signalled = true;
		}
		int n = poll(fds, 2, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
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
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
		if (g_interrupted && !signalled) {
			kill(pid, g_interrupted);
			signalled = true;
		}
	}
	*exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (g_interrupted) {
		int sig = g_interrupted;
		return err_setx(e, sig == SIGINT ? EXIT_SIGINT : EXIT_SIGTERM, "interrupted: stopped '%s'",
				argv[0]);
	}
	return 0;
}
