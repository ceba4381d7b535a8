#include "runtime/native/sandbox.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace spaceport::runtime::native {
namespace {

std::string ErrnoText(const std::string& what) { return what + ": " + strerror(errno); }

constexpr const char* kDeniedSyscalls[] = {
    "mount", "umount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount",
    "fspick", "mount_setattr", "ptrace", "process_vm_readv", "process_vm_writev", "kexec_load", "kexec_file_load",
    "bpf", "keyctl", "add_key", "request_key", "unshare", "setns", "perf_event_open", "init_module",
    "finit_module", "delete_module", "swapon", "swapoff", "reboot", "open_by_handle_at", "name_to_handle_at",
    "userfaultfd", "acct", "quotactl", "syslog", "iopl", "ioperm", "lookup_dcookie", "vhangup", "settimeofday",
    "clock_settime", "clock_adjtime", "adjtimex", "personality", "uselib", "nfsservctl"};

constexpr uint64_t kNewNamespaceFlags[] = {CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
                                           CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP};

// The system bound read-only; merged-/usr hosts have links where others have dirs.
constexpr const char* kSystemPaths[] = {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"};
constexpr const char* kEtcFiles[] = {"/etc/nsswitch.conf", "/etc/ld.so.cache", "/etc/ld.so.conf",
                                     "/etc/ld.so.conf.d", "/etc/localtime", "/etc/ssl", "/etc/ca-certificates",
                                     "/etc/alternatives", "/etc/mime.types", "/etc/python3", "/etc/protocols",
                                     "/etc/services"};

struct FilterContext {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  ~FilterContext() {
    if (ctx != nullptr) seccomp_release(ctx);
  }
};

Status AddRules(scmp_filter_ctx ctx) {
  for (const char* name : kDeniedSyscalls) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) continue;  // not on this architecture
    if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0) != 0) {
      return Status::Internal(std::string("seccomp rule for ") + name);
    }
  }
  for (uint64_t flag : kNewNamespaceFlags) {
    if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag)) != 0) {
      return Status::Internal("seccomp rule for clone");
    }
  }
  if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) != 0) {
    return Status::Internal("seccomp rule for clone3");
  }
  return Status::Ok();
}

std::string PasswdFile(uid_t uid, gid_t gid) {
  return "root:x:0:0:root:/root:/usr/sbin/nologin\n"
         "app:x:" + std::to_string(uid) + ":" + std::to_string(gid) + ":app:/tmp:/bin/sh\n"
         "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
}

std::string GroupFile(gid_t gid) {
  return "root:x:0:\napp:x:" + std::to_string(gid) + ":\nnogroup:x:65534:\n";
}

void AddSystemBinds(std::vector<std::string>& a) {
  for (const char* path : kSystemPaths) {
    struct stat st {};
    if (lstat(path, &st) != 0) continue;
    if (S_ISLNK(st.st_mode)) {
      char target[4096];
      ssize_t n = readlink(path, target, sizeof target - 1);
      if (n <= 0) continue;
      a.insert(a.end(), {"--symlink", std::string(target, static_cast<size_t>(n)), path});
    } else if (S_ISDIR(st.st_mode)) {
      a.insert(a.end(), {"--ro-bind", path, path});
    }
  }
  for (const char* path : kEtcFiles) a.insert(a.end(), {"--ro-bind-try", path, path});
}

// Generated files bound read-only: name in the sandbox -> content.
Status AddDataFiles(const SandboxInputs& in, std::vector<std::string>& a, SandboxFds& fds) {
  // Without its own hosts file a resolver in an empty network namespace
  // waits for DNS servers it cannot reach (reverse lookups stall seconds).
  const std::pair<const char*, std::string> files[] = {
      {"/etc/hosts", "127.0.0.1\tlocalhost " + in.hostname + "\n::1\tlocalhost ip6-localhost\n"},
      {"/etc/resolv.conf", "# no network: name lookups fail at once\nnameserver 127.0.0.1\noptions timeout:1 attempts:1\n"},
      {"/etc/hostname", in.hostname + "\n"},
      {"/etc/passwd", PasswdFile(in.uid, in.gid)},
      {"/etc/group", GroupFile(in.gid)},
  };
  for (const auto& [dest, content] : files) {
    ASSIGN_OR_RETURN(int fd, MemFile("spaceport-etc", content));
    a.insert(a.end(), {"--perms", "0444", "--ro-bind-data", std::to_string(fds.Add(fd)), dest});
  }
  return Status::Ok();
}

Status AddDirFd(const std::string& path, const char* flag, const std::string& dest, std::vector<std::string>& a,
                SandboxFds& fds) {
  int fd = open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::NotFound(ErrnoText("cannot open directory " + path));
  a.insert(a.end(), {flag, std::to_string(fds.Add(fd)), dest});
  return Status::Ok();
}

}  // namespace

Result<std::vector<char>> BuildSeccompProgram() {
  FilterContext f;
  if (f.ctx == nullptr) return Status::Internal("seccomp_init failed");
  RETURN_IF_ERROR(AddRules(f.ctx));
  int fd = memfd_create("spaceport-seccomp", MFD_CLOEXEC);
  if (fd < 0) return Status::Internal(ErrnoText("memfd_create"));
  std::vector<char> program;
  if (seccomp_export_bpf(f.ctx, fd) == 0) {
    off_t size = lseek(fd, 0, SEEK_END);
    program.resize(size > 0 ? static_cast<size_t>(size) : 0);
    if (pread(fd, program.data(), program.size(), 0) != static_cast<ssize_t>(program.size())) program.clear();
  }
  close(fd);
  if (program.empty()) return Status::Internal("cannot export the seccomp program");
  return program;
}

Result<int> MemFile(const char* name, const std::string& content) {
  int fd = memfd_create(name, MFD_CLOEXEC);
  if (fd < 0) return Status::Internal(ErrnoText("memfd_create"));
  if (write(fd, content.data(), content.size()) != static_cast<ssize_t>(content.size()) || lseek(fd, 0, SEEK_SET) != 0) {
    Status failed = Status::Internal(ErrnoText("memfd write"));
    close(fd);
    return failed;
  }
  return fd;
}

SandboxFds::~SandboxFds() {
  for (int fd : fds_) close(fd);
}

int SandboxFds::Add(int fd) {
  fds_.push_back(fd);
  return 3 + static_cast<int>(fds_.size()) - 1;
}

Status SandboxFds::RaiseAbove(int floor) {
  for (int& fd : fds_) {
    if (fd > floor) continue;
    int raised = fcntl(fd, F_DUPFD_CLOEXEC, floor + 1);
    if (raised < 0) return Status::Internal(ErrnoText("fcntl F_DUPFD"));
    close(fd);
    fd = raised;
  }
  return Status::Ok();
}

Result<std::vector<std::string>> BwrapArgs(const SandboxInputs& in, int info_write, SandboxFds& fds,
                                           int block_read) {
  std::vector<std::string> a = {"--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
                                "--hostname", in.hostname};
  AddSystemBinds(a);
  RETURN_IF_ERROR(AddDataFiles(in, a, fds));
  // /tmp first: paths below it (test dirs, say) are bound on top of it.
  a.insert(a.end(), {"--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"});
  for (const std::string& path : in.read_only_paths) a.insert(a.end(), {"--ro-bind", path, path});
  if (!in.app_dir.empty()) RETURN_IF_ERROR(AddDirFd(in.app_dir, "--bind-fd", in.app_dir, a, fds));
  if (!in.data_dir.empty()) RETURN_IF_ERROR(AddDirFd(in.data_dir, "--bind-fd", "/data", a, fds));
  for (const auto& [host, inside] : in.writable) RETURN_IF_ERROR(AddDirFd(host, "--bind-fd", inside, a, fds));
  a.insert(a.end(), {"--chdir", in.cwd.empty() ? in.app_dir : in.cwd});
  if (block_read >= 0) a.insert(a.end(), {"--block-fd", std::to_string(fds.Add(block_read))});
  ASSIGN_OR_RETURN(int seccomp_fd, MemFile("spaceport-seccomp", std::string(in.seccomp.begin(), in.seccomp.end())));
  a.insert(a.end(), {"--seccomp", std::to_string(fds.Add(seccomp_fd))});
  a.insert(a.end(), {"--info-fd", std::to_string(fds.Add(info_write)), "--"});
  a.insert(a.end(), in.argv.begin(), in.argv.end());
  return a;
}

[[noreturn]] void ExecSandbox(const ChildPlan& p) {
  for (int fd : *p.cgroup_fds) {
    if (write(fd, "0", 1) != 1) _exit(125);  // "0": the writing process joins
  }
  setsid();
  dup2(p.null_fd, 0);
  dup2(p.out_fd, 1);
  dup2(p.out_fd, 2);
  for (size_t i = 0; i < p.fds->size(); ++i) dup2((*p.fds)[i], 3 + static_cast<int>(i));
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  syscall(SYS_close_range, 3U + static_cast<unsigned>(p.fds->size()), ~0U, 0U);
  if (p.file_size_limit > 0) {
    struct rlimit fsize{static_cast<rlim_t>(p.file_size_limit), static_cast<rlim_t>(p.file_size_limit)};
    if (syscall(SYS_prlimit64, 0, RLIMIT_FSIZE, &fsize, nullptr) != 0) _exit(125);
  }
  if (p.open_files > 0) {
    struct rlimit files{};
    if (syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, nullptr, &files) == 0 && p.open_files < files.rlim_max) {
      files.rlim_cur = static_cast<rlim_t>(p.open_files);
      syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &files, nullptr);
    }
  }
  // bwrap then builds the namespaces as this unprivileged user. Raw
  // syscalls: glibc's wrappers would change the credentials of every thread
  // they know, which in a vfork child are the server's.
  if (syscall(SYS_setgroups, 0, nullptr) != 0 || syscall(SYS_setresgid, p.uid, p.uid, p.uid) != 0 ||
      syscall(SYS_setresuid, p.uid, p.uid, p.uid) != 0) {
    _exit(125);
  }
  execve(p.bwrap, p.argv, p.envp);
  _exit(127);
}

Result<pid_t> SpawnSandbox(const ChildPlan& plan) {
  // vfork: the child borrows our memory until it execs, where fork would
  // copy the server's page tables (and fault on every page touched after),
  // which cost more than the sandbox itself. No signal may be handled in
  // the child on our stack: all are blocked until it has reset them.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = vfork();
  if (pid == 0) ExecSandbox(plan);
  int saved = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) return Status::Internal(std::string("vfork: ") + strerror(saved));
  return pid;
}

}  // namespace spaceport::runtime::native
