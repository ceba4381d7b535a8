// LaunchSpecFor: the SDK contracts of DESIGN.md section 6 as a pure function.
//
// Maps a parsed card and an app directory to what the runtime starts: static
// files, `python app.py` (gradio), `python -m streamlit run` (streamlit),
// `sh -c app_command` (process). The builder calls it after the tree is
// exported and dependencies are installed; tests call it without building.
// `python` is the interpreter apps run with (the venv's when there is one);
// `venv_dir`, when not empty, puts the venv's bin first on PATH and sets
// VIRTUAL_ENV. Nothing is read from disk.
// Failure: InvalidArgument (CONFIG_ERROR) for a card the SDK cannot run: no
// sdk, or sdk process without app_command. sdk docker yields a spec without
// argv; the builder fills it in when an OCI engine is present.
// Thread safety: pure function.
#pragma once

#include <string>

#include "build/builder.h"
#include "card/card.h"
#include "core/status.h"

namespace spaceport::build {

inline constexpr char kSystemPath[] = "/usr/local/bin:/usr/bin:/bin";
inline constexpr char kNoSdkMessage[] =
    "README.md: no sdk in the card (add `sdk: static|gradio|streamlit|docker|process`)";

Result<LaunchSpec> LaunchSpecFor(const card::Card& card, const std::string& app_dir, const std::string& python,
                                 const std::string& venv_dir = "");

// The card's app_file, or the SDK's default (app.py; index.html for static).
std::string AppFileFor(const card::Card& card);

// A built version as JSON, kept beside its build dir so that a server
// restart starts (or wakes) it without building again. FromJson rejects a
// file it cannot read whole (InvalidArgument naming the field); the caller
// then builds afresh. ToJson gives "" when a field is not valid UTF-8 (no
// launch file is then kept: the JSON could not hold it unaltered).
std::string LaunchSpecToJson(const LaunchSpec& spec);
Result<LaunchSpec> LaunchSpecFromJson(std::string_view text);

}  // namespace spaceport::build
