#include "runtime/instance_monitor.h"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

namespace spaceport::runtime {
namespace {
constexpr int kDrainAfterExitMs = 1000;
constexpr int kExitPollMs = 100;
}  // namespace

int PumpOutputUntilExit(pid_t pid, int pidfd, int out_fd, LogStore* log, const std::string& space_id,
                        const std::function<void()>& on_reaped) {
  char buf[65536];
  bool reaped = false;
  int wstatus = 0;
  while (out_fd >= 0 || !reaped) {
    pollfd fds[2];
    int n = 0, out_idx = -1, pid_idx = -1;
    if (out_fd >= 0) { out_idx = n; fds[n++] = {out_fd, POLLIN, 0}; }
    if (!reaped && pidfd >= 0) { pid_idx = n; fds[n++] = {pidfd, POLLIN, 0}; }
    int timeout = reaped ? kDrainAfterExitMs : (pidfd >= 0 ? -1 : kExitPollMs);
    int r = poll(n > 0 ? fds : nullptr, n, timeout);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0 && reaped) break;  // an escaped process keeps the pipe open
    if (out_idx >= 0 && fds[out_idx].revents != 0) {
      ssize_t got = read(out_fd, buf, sizeof buf);
      if (got > 0 && log != nullptr) {
        log->Append(space_id, LogKind::kRun, std::string_view(buf, static_cast<size_t>(got)));
      } else if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) {
        close(out_fd);
        out_fd = -1;
      }
    }
    bool check_exit = !reaped && (pid_idx < 0 || fds[pid_idx].revents != 0);
    if (check_exit && waitpid(pid, &wstatus, WNOHANG) == pid) {
      reaped = true;
      if (on_reaped) on_reaped();
    }
  }
  if (out_fd >= 0) close(out_fd);
  if (pidfd >= 0) close(pidfd);
  return wstatus;
}

}  // namespace spaceport::runtime
