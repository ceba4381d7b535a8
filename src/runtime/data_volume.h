// Data volumes: a Space's persistent /data as a file system of its own size.
//
// An isolating driver gives each app a writable /data (runtime/deploy_env.h's
// SpaceDataDir). Left a plain directory, an app could fill the host's disk.
// With volumes, the directory is the mount point of an ext4 image beside it
// (`<dir>.img`, sparse: the host pays only for blocks written), so writes
// past the size end in ENOSPC inside the app and the host loses at most the
// size. The image is made on first use (mkfs.ext4), mounted nodev,nosuid on
// a loop device that frees itself once unmounted, grown (never shrunk) when
// the Space's storage tier grows. The native driver keeps it mounted while
// the Space has a sandbox and unmounts it after the last one ends; a mount
// left by a killed server is used as it is.
// Contents of a directory that predates volumes are copied in once.
//
// Host requirements, checked by Probe: root, /dev/loop-control and
// e2fsprogs (mkfs.ext4, e2fsck, resize2fs). Without them callers keep plain
// directories and say the limit is not enforced.
//
// Thread safety: the functions may run concurrently for different
// directories; one directory must not be handled by two threads at once (the
// supervisor serialises per Space). Failure: Status naming the step and path;
// ResourceExhausted when existing data does not fit the size.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace spaceport::runtime {

// Ok when this host can make data volumes; otherwise why not.
Status ProbeDataVolumes();

// Makes `dir` the mount point of an image of at least `bytes`. Idempotent;
// cheap when already mounted at that size. A smaller volume grows: online
// where the host allows (CAP_SYS_RESOURCE), else by unmounting, which only
// `sole_user` may do (no running sandbox of the Space holds the volume);
// otherwise it keeps its size until such a start. New images are sparse
// copies of an empty file system of that size, made once per size in
// `templates_dir` (".volume-<bytes>.img"; empty: beside the image).
Status EnsureDataVolume(const std::string& dir, int64_t bytes, bool sole_user, const std::string& templates_dir);

// Unmounts `dir` when it is a mount point (the image stays).
Status UnmountDataVolume(const std::string& dir);

// Unmounts `dir` only when nothing holds it (a plain unmount): a volume a
// host process still uses stays mounted, and FailedPrecondition says so. A
// detached but living file system would be mounted a second time, from a
// second loop device, by the next start.
Status UnmountIdleDataVolume(const std::string& dir);

// Unmounts `dir` when mounted, then deletes the directory and its image.
Status RemoveDataVolume(const std::string& dir);

// Moves a Space's data (directory and image) from `from` to `to` (unmounting
// first; the next EnsureDataVolume mounts it at its new place).
Status MoveDataVolume(const std::string& from, const std::string& to);

// The image file of `dir`.
std::string DataVolumeImage(const std::string& dir);

}  // namespace spaceport::runtime
