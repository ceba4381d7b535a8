// The bubblewrap command line and seccomp filter of one sandboxed instance.
//
// The sandbox: new user, pid, mount, ipc, uts, network and cgroup namespaces
// (--unshare-all), bwrap's init as pid 1, a new session, every capability
// dropped, the system (/usr and the /bin,/lib* links, a few /etc files)
// read-only, the app directory writable at its own path, the Space's data
// directory writable at /data, a private /tmp, minimal /dev, own /proc, and
// generated /etc/hosts, resolv.conf, hostname, passwd and group files.
//
// Everything that comes from the driver (directories, generated files, the
// filter, the info pipe) is passed as file descriptors, so bwrap, running as
// the sandbox's unprivileged uid, never resolves a host path it could not
// reach. SandboxFds lists them; the child installs fd i at number 3 + i.
//
// Thread safety: pure functions plus one-shot builders; no shared state.
// Failure: Status with the failing step.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace spaceport::runtime::native {

// The seccomp policy (allow by default) as a BPF program that bwrap's
// --seccomp loads: mount and friends, ptrace, kexec, bpf, keyrings, new
// namespaces (unshare, setns, clone with CLONE_NEW*, clone3), perf, modules,
// swap, reboot, handle-based opens and userfaultfd fail with EPERM (clone3
// with ENOSYS so libc falls back to the clone it can inspect).
Result<std::vector<char>> BuildSeccompProgram();

// A sealed-size, CLOEXEC memfd holding `content`, positioned at 0.
Result<int> MemFile(const char* name, const std::string& content);

struct SandboxInputs {
  std::string app_dir;                       // writable, bound at the same path; empty: none
  std::string data_dir;                      // writable at /data; empty: none
  // More writable directories: host path -> path inside (builds).
  std::vector<std::pair<std::string, std::string>> writable;
  std::string cwd;                           // empty: app_dir
  std::vector<std::string> read_only_paths;  // bound read-only at the same path (must exist)
  std::vector<std::string> argv;             // the app's command, resolved inside
  uid_t uid = 0;                             // the sandbox user (for passwd)
  gid_t gid = 0;
  std::string hostname = "space";
  std::vector<char> seccomp;                 // the program from BuildSeccompProgram
};

// The fds a sandbox needs, owned (closed by the destructor) and numbered
// from 3 in the child. info_write is the write end of the --info-fd pipe.
class SandboxFds {
 public:
  SandboxFds() = default;
  ~SandboxFds();
  SandboxFds(const SandboxFds&) = delete;
  SandboxFds& operator=(const SandboxFds&) = delete;
  // Adds `fd` (taken) and returns the number the child will see.
  int Add(int fd);
  // Moves every fd above `floor` so that installing them at 3.. in the child
  // cannot clobber one not installed yet.
  Status RaiseAbove(int floor);
  const std::vector<int>& fds() const { return fds_; }

 private:
  std::vector<int> fds_;
};

// Opens what the sandbox needs into `fds` and returns bwrap's arguments
// (without the bwrap path itself). `info_write` is added as --info-fd;
// `block_read`, when >= 0, as --block-fd (the command starts once a byte
// arrives there).
Result<std::vector<std::string>> BwrapArgs(const SandboxInputs& in, int info_write, SandboxFds& fds,
                                           int block_read = -1);

// What the forked child needs to exec bwrap; everything prepared before the
// fork, so the child makes async-signal-safe calls only.
struct ChildPlan {
  const char* bwrap;
  char* const* argv;
  char* const* envp;
  const std::vector<int>* cgroup_fds;  // cgroup.procs files to join ("0")
  const std::vector<int>* fds;         // installed at 3, 4, ...
  int null_fd, out_fd;                 // stdin; stdout and stderr
  uid_t uid;                           // bwrap runs as this user
  int64_t file_size_limit = 0;         // RLIMIT_FSIZE in bytes; 0: unchanged
  uint64_t open_files = 0;             // RLIMIT_NOFILE's soft limit (at most the hard); 0: unchanged
};

// In the child: joins the cgroups, starts a new session, installs the fds,
// resets signals, drops to `uid` and execs bwrap. Never returns. Only
// syscalls that are safe in a vfork child (it shares the server's memory).
[[noreturn]] void ExecSandbox(const ChildPlan& plan);

// Starts ExecSandbox(plan) in a vfork child; its pid. The calling thread is
// its parent (bwrap's --die-with-parent watches that thread).
Result<pid_t> SpawnSandbox(const ChildPlan& plan);

}  // namespace spaceport::runtime::native
