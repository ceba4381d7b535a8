#include "hub/commit/commit_ndjson.h"

#include "core/strings.h"

namespace spaceport::hub {
namespace {

Result<std::string> RequiredPath(const Json& value) {
  ASSIGN_OR_RETURN(std::optional<std::string> path, OptString(value, "path"));
  if (!path) return Status::InvalidArgument("'path' is required");
  RETURN_IF_ERROR(repo::ValidateRepoPath(*path));
  if (value.contains("oldPath")) return Status::InvalidArgument("renaming with 'oldPath' is not supported");
  return *path;
}

Result<repo::CommitOp> ParseLfsFile(const Json& value) {
  repo::CommitOp op;
  op.kind = repo::CommitOpKind::kAddLfsFile;
  ASSIGN_OR_RETURN(op.path, RequiredPath(value));
  ASSIGN_OR_RETURN(std::optional<std::string> algo, OptString(value, "algo"));
  if (algo.value_or("sha256") != "sha256") return Status::InvalidArgument("'algo' must be sha256");
  ASSIGN_OR_RETURN(std::optional<std::string> oid, OptString(value, "oid"));
  ASSIGN_OR_RETURN(std::optional<int64_t> size, OptInt(value, "size"));
  if (!oid || !repo::IsValidLfsOid(*oid)) return Status::InvalidArgument("'oid' must be a sha256 in lower-case hex");
  if (!size || *size < 0) return Status::InvalidArgument("'size' must be a non-negative integer");
  op.lfs = repo::LfsPointer{*oid, *size};
  return op;
}

Result<repo::CommitOp> ParseOp(const std::string& key, const Json& value) {
  if (key == "file") return ParseCommitFile(value);
  if (key == "lfsFile") return ParseLfsFile(value);
  repo::CommitOp op;
  if (key == "deletedFile") {
    op.kind = repo::CommitOpKind::kDeleteFile;
  } else if (key == "deletedFolder") {
    op.kind = repo::CommitOpKind::kDeleteFolder;
  } else {
    return Status::InvalidArgument("unknown operation '" + key + "'");
  }
  ASSIGN_OR_RETURN(op.path, RequiredPath(value));
  return op;
}

Status ParseHeader(const Json& value, repo::CommitRequest* req) {
  ASSIGN_OR_RETURN(std::optional<std::string> summary, OptString(value, "summary"));
  ASSIGN_OR_RETURN(std::optional<std::string> description, OptString(value, "description"));
  ASSIGN_OR_RETURN(std::optional<std::string> parent, OptString(value, "parentCommit"));
  if (!summary || Trim(*summary).empty()) return Status::InvalidArgument("the header needs a 'summary'");
  req->summary = *summary;
  req->description = description.value_or("");
  req->parent_commit = parent.value_or("");
  return Status::Ok();
}

// One line: {"key": ..., "value": {...}}.
Result<std::pair<std::string, Json>> ParseLine(std::string_view line) {
  Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument("not a JSON object (truncated?)");
  ASSIGN_OR_RETURN(std::optional<std::string> key, OptString(j, "key"));
  auto value = j.find("value");
  if (!key || value == j.end() || !value->is_object()) {
    return Status::InvalidArgument("each line needs a 'key' and an object 'value'");
  }
  return std::make_pair(*key, *value);
}

}  // namespace

Result<repo::CommitOp> ParseCommitFile(const Json& value) {
  repo::CommitOp op;
  op.kind = repo::CommitOpKind::kAddFile;
  ASSIGN_OR_RETURN(op.path, RequiredPath(value));
  ASSIGN_OR_RETURN(std::optional<std::string> content, OptString(value, "content"));
  ASSIGN_OR_RETURN(std::optional<std::string> encoding, OptString(value, "encoding"));
  if (!content) return Status::InvalidArgument("'content' is required for '" + op.path + "'");
  std::string enc = encoding.value_or("utf-8");
  if (enc == "base64") {
    std::optional<std::string> bytes = Base64Decode(*content);
    if (!bytes) return Status::InvalidArgument("'content' of '" + op.path + "' is not valid base64");
    op.content = std::move(*bytes);
  } else if (enc == "utf-8") {
    op.content = *content;
  } else {
    return Status::InvalidArgument("'encoding' must be base64 or utf-8");
  }
  return op;
}

Status CommitLines::Add(std::string_view raw, int line_no) {
  if (Trim(raw).empty()) return Status::Ok();
  std::string where = "line " + std::to_string(line_no);
  Result<std::pair<std::string, Json>> line = ParseLine(raw);
  if (!line.ok()) return line.status().WithContext(where);
  const auto& [key, value] = *line;
  if (key == "header") {
    if (have_header_) return Status::InvalidArgument(where + ": a second header");
    RETURN_IF_ERROR(ParseHeader(value, &req_).WithContext(where));
    have_header_ = true;
    return Status::Ok();
  }
  if (!have_header_) return Status::InvalidArgument(where + ": the first line must be the header");
  Result<repo::CommitOp> op = ParseOp(key, value);
  if (!op.ok()) return op.status().WithContext(where);
  req_.ops.push_back(std::move(*op));
  return Status::Ok();
}

Result<repo::CommitRequest> CommitLines::Finish() {
  if (!have_header_) return Status::InvalidArgument("the commit has no header line");
  if (req_.ops.empty()) return Status::InvalidArgument("the commit has no operations");
  return std::move(req_);
}

Result<repo::CommitRequest> ParseCommitNdjson(std::string_view body) {
  CommitLines lines;
  int line_no = 0;
  for (const std::string& raw : Split(body, '\n')) RETURN_IF_ERROR(lines.Add(raw, ++line_no));
  return lines.Finish();
}

}  // namespace spaceport::hub
