// ImageRouterDriver: one RuntimeDriver in front of two, so that each Space
// runs where its SDK belongs: instances with an image (sdk docker) on the
// OCI driver (runtime/oci/), every other one on the app driver (native
// sandbox or plain processes).
//
// Ids are the router's own; exit callbacks are passed on with them.
// Capabilities are the app driver's, except `freeze`, which is true when
// either can freeze (a Freeze the app driver cannot do returns its
// FailedPrecondition, and the supervisor stops that app instead).
// Ownership: owns both drivers. Thread safety: as runtime/driver.h.
#pragma once

#include <memory>

#include "runtime/driver.h"

namespace spaceport::runtime {

std::unique_ptr<RuntimeDriver> MakeImageRouterDriver(std::unique_ptr<RuntimeDriver> apps,
                                                     std::unique_ptr<RuntimeDriver> images);

}  // namespace spaceport::runtime
