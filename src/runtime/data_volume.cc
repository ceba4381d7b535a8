#include "runtime/data_volume.h"

#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/log.h"
#include "core/subprocess.h"
#include "http/socket.h"

namespace spaceport::runtime {
namespace {

namespace fs = std::filesystem;
using http::UniqueFd;

constexpr char kMkfs[] = "/usr/sbin/mkfs.ext4";
constexpr char kResize[] = "/usr/sbin/resize2fs";
constexpr char kFsck[] = "/usr/sbin/e2fsck";
constexpr Millis kToolTimeout{60000};

std::string ErrnoText(const std::string& what) { return what + ": " + strerror(errno); }

// A mount point: on another device than its parent.
bool IsMountPoint(const std::string& dir, struct stat* st_out = nullptr) {
  struct stat st {}, parent {};
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return false;
  if (stat((dir + "/..").c_str(), &parent) != 0) return false;
  if (st_out != nullptr) *st_out = st;
  return st.st_dev != parent.st_dev;
}

Status RunTool(const std::vector<std::string>& argv) {
  CommandOptions options;
  options.argv = argv;
  options.timeout = kToolTimeout;
  options.merge_stderr = true;
  ASSIGN_OR_RETURN(CommandResult r, RunCommand(options));
  if (!r.ok()) {
    std::string out = r.stdout_data.size() > 400 ? r.stdout_data.substr(r.stdout_data.size() - 400) : r.stdout_data;
    return Status::Internal(argv[0] + " failed: " + out);
  }
  return Status::Ok();
}

// Copies `from` to `to` (created), writing only the extents that hold data:
// holes stay holes.
Status CopySparse(const std::string& from, const std::string& to) {
  UniqueFd in(open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) return Status::Internal(ErrnoText("opening " + from));
  UniqueFd out(open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!out.valid()) return Status::Internal(ErrnoText("creating " + to));
  struct stat st {};
  if (fstat(in.get(), &st) != 0 || ftruncate(out.get(), st.st_size) != 0) {
    return Status::Internal(ErrnoText("sizing " + to));
  }
  off_t pos = 0;
  while (pos < st.st_size) {
    off_t data = lseek(in.get(), pos, SEEK_DATA);
    if (data < 0) break;  // ENXIO: only a hole is left
    off_t hole = lseek(in.get(), data, SEEK_HOLE);
    if (hole < 0) return Status::Internal(ErrnoText("reading " + from));
    off_t src = data, dst = data;
    while (src < hole) {
      ssize_t n = copy_file_range(in.get(), &src, out.get(), &dst, static_cast<size_t>(hole - src), 0);
      if (n <= 0) return Status::Internal(ErrnoText("copying " + from));
    }
    pos = hole;
  }
  return Status::Ok();
}

Status MakeImage(const std::string& image, int64_t bytes, const std::string& templates_dir) {
  // mkfs once per size, then copies of that empty file system (a few
  // hundred KB of metadata): a process per Space created counts in bulk.
  const std::string templ =
      (templates_dir.empty() ? fs::path(image).parent_path().string() : templates_dir) + "/.volume-" +
      std::to_string(bytes) + ".img";
  if (access(templ.c_str(), R_OK) != 0) {
    std::error_code ec;
    fs::create_directories(fs::path(templ).parent_path(), ec);
    const std::string tmp = templ + ".tmp-" + std::to_string(getpid()) + "-" + std::to_string(gettid());
    UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd.valid()) return Status::Internal(ErrnoText("creating " + tmp));
    if (ftruncate(fd.get(), bytes) != 0) return Status::Internal(ErrnoText("sizing " + tmp));
    fd.reset();
    // No reserved blocks (the app may use all of it); lazy init keeps mkfs of
    // a large sparse image quick and small on the host.
    Status s = RunTool({kMkfs, "-q", "-F", "-m", "0", "-E", "nodiscard,lazy_itable_init=1,lazy_journal_init=1", tmp});
    if (!s.ok() || rename(tmp.c_str(), templ.c_str()) != 0) {
      unlink(tmp.c_str());
      return s.ok() ? Status::Internal(ErrnoText("publishing " + templ)) : s;
    }
  }
  Status s = CopySparse(templ, image);
  if (!s.ok()) unlink(image.c_str());
  return s;
}

struct AttachedLoop {
  std::string dev;
  UniqueFd fd;  // the device stays attached while this is open or it is mounted
};

// Attaches `image` to a free loop device that detaches itself once unmounted
// and no longer open.
Result<AttachedLoop> AttachLoop(const std::string& image) {
  UniqueFd file(open(image.c_str(), O_RDWR | O_CLOEXEC));
  if (!file.valid()) return Status::Internal(ErrnoText("opening " + image));
  UniqueFd control(open("/dev/loop-control", O_RDWR | O_CLOEXEC));
  if (!control.valid()) return Status::FailedPrecondition(ErrnoText("opening /dev/loop-control"));
  // Another thread (or process) may take the device between GET_FREE and
  // CONFIGURE: that one answers EBUSY and we ask again.
  for (int attempt = 0; attempt < 64; ++attempt) {
    int n = ioctl(control.get(), LOOP_CTL_GET_FREE);
    if (n < 0) return Status::ResourceExhausted(ErrnoText("no free loop device"));
    std::string dev = "/dev/loop" + std::to_string(n);
    UniqueFd loop(open(dev.c_str(), O_RDWR | O_CLOEXEC));
    if (!loop.valid()) {
      if (errno == ENOENT) continue;  // the node appears a moment later
      return Status::Internal(ErrnoText("opening " + dev));
    }
    loop_config config{};
    config.fd = static_cast<uint32_t>(file.get());
    config.info.lo_flags = LO_FLAGS_AUTOCLEAR;
    strncpy(reinterpret_cast<char*>(config.info.lo_file_name), image.c_str(), LO_NAME_SIZE - 1);
    if (ioctl(loop.get(), LOOP_CONFIGURE, &config) == 0) return AttachedLoop{dev, std::move(loop)};
    if (errno != EBUSY) return Status::Internal(ErrnoText("attaching " + image + " to " + dev));
  }
  return Status::Unavailable("no loop device stayed free for " + image);
}

Status MountImage(const std::string& image, const std::string& dir) {
  ASSIGN_OR_RETURN(AttachedLoop loop, AttachLoop(image));
  // Once the mount holds the device our fd may close; if the mount fails,
  // closing it is what frees the device (AUTOCLEAR).
  if (mount(loop.dev.c_str(), dir.c_str(), "ext4", MS_NODEV | MS_NOSUID, "") != 0) {
    return Status::Internal(ErrnoText("mounting " + image + " at " + dir));
  }
  // mkfs leaves lost+found; /data starts empty as it always did (e2fsck
  // makes a new one if it ever needs it).
  rmdir((dir + "/lost+found").c_str());
  return Status::Ok();
}

// The loop device behind the mount at `dir` (whose stat is `st`): loop
// devices are major 7 with minor N for /dev/loopN (no partitions).
Result<std::string> LoopDeviceOf(const std::string& dir, const struct stat& st) {
  constexpr unsigned kLoopMajor = 7;
  if (major(st.st_dev) != kLoopMajor) return Status::FailedPrecondition(dir + " is mounted, but not from a loop device");
  return "/dev/loop" + std::to_string(minor(st.st_dev));
}

// Growing a mounted ext4 (EXT4_IOC_RESIZE_FS) needs CAP_SYS_RESOURCE.
bool MayResizeOnline() {
  constexpr int kCapSysResource = 24;
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (!line.starts_with("CapEff:")) continue;
    uint64_t caps = std::stoull(line.substr(7), nullptr, 16);
    return (caps >> kCapSysResource) & 1;
  }
  return false;
}

int64_t ImageSize(const std::string& image) {
  struct stat img {};
  return stat(image.c_str(), &img) == 0 ? img.st_size : -1;
}

// Online: the kernel grows a mounted ext4 (needs CAP_SYS_RESOURCE).
Status GrowMounted(const std::string& dir, const struct stat& st, const std::string& image, int64_t bytes) {
  if (truncate(image.c_str(), bytes) != 0) return Status::Internal(ErrnoText("growing " + image));
  ASSIGN_OR_RETURN(std::string dev, LoopDeviceOf(dir, st));
  UniqueFd loop(open(dev.c_str(), O_RDWR | O_CLOEXEC));
  if (!loop.valid()) return Status::Internal(ErrnoText("opening " + dev + " (the device of " + dir + ")"));
  if (ioctl(loop.get(), LOOP_SET_CAPACITY, 0) != 0) return Status::Internal(ErrnoText("resizing " + dev));
  return RunTool({kResize, dev});
}

// Offline: the image is mounted nowhere. When the check before resize2fs
// fails, the image goes back to its old size: the image's size stands for
// the file system's, and a bigger image around an ungrown file system would
// never be grown again. (Once resize2fs ran, cutting the image could cut
// the file system; a failed resize stays as it is and says so.)
Status GrowUnmounted(const std::string& image, int64_t bytes) {
  const int64_t old_size = ImageSize(image);
  if (truncate(image.c_str(), bytes) != 0) return Status::Internal(ErrnoText("growing " + image));
  auto undo = [&](Status why) {
    if (old_size > 0 && truncate(image.c_str(), old_size) != 0) {
      SP_LOG(kWarn) << ErrnoText("putting " + image + " back to its old size");
    }
    return why;
  };
  CommandOptions check;  // resize2fs wants a freshly checked file system
  check.argv = {kFsck, "-f", "-p", image};
  check.timeout = kToolTimeout;
  check.merge_stderr = true;
  Result<CommandResult> r = RunCommand(check);
  if (!r.ok()) return undo(r.status());
  if (r->exit_code != 0 && r->exit_code != 1) {  // 1: errors corrected
    return undo(Status::Internal("checking " + image + " before growing it failed: " + r->stdout_data));
  }
  return RunTool({kResize, image});
}

// A directory from before volumes: its files move into the new volume.
Status AdoptExisting(const std::string& dir, const std::string& image) {
  const std::string old = dir + ".pre-volume";
  std::error_code ec;
  fs::rename(dir, old, ec);
  if (ec) return Status::Internal("moving " + dir + " aside: " + ec.message());
  fs::create_directory(dir, ec);
  Status s = ec ? Status::Internal("creating " + dir + ": " + ec.message()) : MountImage(image, dir);
  if (s.ok()) {
    s = RunTool({"/bin/cp", "-a", old + "/.", dir + "/"});
    if (!s.ok()) s = Status::ResourceExhausted("the data in " + dir + " does not fit its size limit: " + s.message());
  }
  if (!s.ok()) {  // back as it was
    if (IsMountPoint(dir)) umount2(dir.c_str(), MNT_DETACH);
    fs::remove_all(dir, ec);
    fs::rename(old, dir, ec);
    unlink(image.c_str());
    return s;
  }
  fs::remove_all(old, ec);
  return Status::Ok();
}

}  // namespace

std::string DataVolumeImage(const std::string& dir) { return dir + ".img"; }

Status ProbeDataVolumes() {
  if (geteuid() != 0) return Status::FailedPrecondition("not running as root (mounting needs it)");
  if (access("/dev/loop-control", R_OK | W_OK) != 0) {
    return Status::FailedPrecondition(ErrnoText("no usable /dev/loop-control"));
  }
  if (access(kMkfs, X_OK) != 0) return Status::FailedPrecondition(std::string("no ") + kMkfs + " (e2fsprogs)");
  for (const char* tool : {kResize, kFsck}) {
    if (access(tool, X_OK) != 0) return Status::FailedPrecondition(std::string("no ") + tool + " (e2fsprogs)");
  }
  return Status::Ok();
}

Status EnsureDataVolume(const std::string& dir, int64_t bytes, bool sole_user, const std::string& templates_dir) {
  const std::string image = DataVolumeImage(dir);
  struct stat st {};
  if (IsMountPoint(dir, &st)) {
    if (ImageSize(image) >= bytes) return Status::Ok();
    // The image's size is the file system's: grow both or neither.
    if (MayResizeOnline()) return GrowMounted(dir, st, image, bytes);
    if (!sole_user) {
      SP_LOG(kWarn) << dir << " stays at its old size until it is started with nothing else using it"
                    << " (growing a mounted ext4 needs CAP_SYS_RESOURCE)";
      return Status::Ok();
    }
    // Nobody else has it mounted (a sandbox's copy would keep it alive): a
    // plain unmount ends the file system and frees the loop device.
    if (umount2(dir.c_str(), 0) != 0) return Status::Internal(ErrnoText("unmounting " + dir + " to grow it"));
  }
  std::error_code ec;
  fs::create_directories(fs::path(dir).parent_path(), ec);
  const bool had_image = fs::exists(image, ec);
  if (!had_image) RETURN_IF_ERROR(MakeImage(image, bytes, templates_dir));
  const bool has_files = fs::exists(dir, ec) && !fs::is_empty(dir, ec);
  if (!had_image && has_files) return AdoptExisting(dir, image);
  if (ImageSize(image) < bytes) RETURN_IF_ERROR(GrowUnmounted(image, bytes));
  fs::create_directories(dir, ec);
  if (ec) return Status::Internal("creating " + dir + ": " + ec.message());
  if (has_files) {
    // Files written into the bare mount point while the volume was away
    // (never by an app: apps start only once it is mounted) would be hidden.
    SP_LOG(kWarn) << dir << " has files of its own under its volume; they stay hidden below the mount";
  }
  RETURN_IF_ERROR(MountImage(image, dir));
  if (!IsMountPoint(dir)) return Status::Internal("mounted " + image + " but " + dir + " is no mount point");
  return Status::Ok();
}

Status UnmountDataVolume(const std::string& dir) {
  if (!IsMountPoint(dir)) return Status::Ok();
  // Detached: a sandbox that still has it in its own mount namespace keeps
  // it until it ends; the loop device frees itself after that.
  if (umount2(dir.c_str(), MNT_DETACH) != 0) return Status::Internal(ErrnoText("unmounting " + dir));
  return Status::Ok();
}

Status UnmountIdleDataVolume(const std::string& dir) {
  if (!IsMountPoint(dir)) return Status::Ok();
  if (umount2(dir.c_str(), 0) == 0) return Status::Ok();
  if (errno == EBUSY) return Status::FailedPrecondition(dir + " stays mounted: something on the host still uses it");
  return Status::Internal(ErrnoText("unmounting " + dir));
}

Status RemoveDataVolume(const std::string& dir) {
  RETURN_IF_ERROR(UnmountDataVolume(dir));
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) return Status::Internal("removing " + dir + ": " + ec.message());
  fs::remove(DataVolumeImage(dir), ec);
  if (ec) return Status::Internal("removing " + DataVolumeImage(dir) + ": " + ec.message());
  return Status::Ok();
}

Status MoveDataVolume(const std::string& from, const std::string& to) {
  RETURN_IF_ERROR(UnmountDataVolume(from));
  std::error_code ec;
  fs::create_directories(fs::path(to).parent_path(), ec);
  for (const auto& [a, b] : {std::pair{from, to}, std::pair{DataVolumeImage(from), DataVolumeImage(to)}}) {
    if (!fs::exists(a, ec)) continue;
    fs::rename(a, b, ec);
    if (ec) return Status::Internal("moving " + a + " to " + b + ": " + ec.message());
  }
  fs::remove(fs::path(from).parent_path(), ec);  // fails harmlessly when not empty
  return Status::Ok();
}

}  // namespace spaceport::runtime
