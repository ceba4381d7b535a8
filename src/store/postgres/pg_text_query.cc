#include "store/postgres/pg_text_query.h"

#include <cctype>
#include <memory>

namespace spaceport::store::postgres {
namespace {

constexpr unsigned kAllColumns = (1u << kTextColumnCount) - 1;

struct Node {
  enum Kind { kWord, kAnd, kOr, kNot } kind = kWord;
  std::string word;
  bool prefix = false;
  unsigned columns = kAllColumns;
  std::unique_ptr<Node> left, right;
};

// A recursive-descent parser of FTS5's grammar, as far as the directory
// uses it. Precedence, highest first: NOT, AND (also implicit), OR.
class Parser {
 public:
  explicit Parser(const std::string& text) : s_(text) {}

  Result<std::unique_ptr<Node>> Parse() {
    ASSIGN_OR_RETURN(auto node, Or(kAllColumns));
    Skip();
    if (i_ != s_.size()) return Error("unexpected '" + std::string(1, s_[i_]) + "'");
    return node;
  }

 private:
  static Status Error(const std::string& what) { return Status::InvalidArgument("malformed search query: " + what); }

  void Skip() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }

  bool Keyword(const char* word) {
    Skip();
    size_t n = std::char_traits<char>::length(word);
    if (s_.compare(i_, n, word) != 0) return false;
    size_t after = i_ + n;
    if (after < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[after])) || s_[after] == '_')) return false;
    i_ = after;
    return true;
  }

  bool AtPrimary() {
    Skip();
    if (i_ >= s_.size()) return false;
    char c = s_[i_];
    if (c == '"' || c == '(' || c == '{') return true;
    if (!(std::isalnum(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) >= 0x80)) return false;
    size_t save = i_;
    bool op = Keyword("AND") || Keyword("OR") || Keyword("NOT");
    i_ = save;
    return !op;
  }

  Result<std::unique_ptr<Node>> Or(unsigned cols) {
    ASSIGN_OR_RETURN(auto left, And(cols));
    while (Keyword("OR")) {
      ASSIGN_OR_RETURN(auto right, And(cols));
      left = Join(Node::kOr, std::move(left), std::move(right));
    }
    return left;
  }

  Result<std::unique_ptr<Node>> And(unsigned cols) {
    ASSIGN_OR_RETURN(auto left, Not(cols));
    while (true) {
      size_t save = i_;
      if (Keyword("AND")) {
        ASSIGN_OR_RETURN(auto right, Not(cols));
        left = Join(Node::kAnd, std::move(left), std::move(right));
      } else if (AtPrimary()) {
        ASSIGN_OR_RETURN(auto right, Not(cols));
        left = Join(Node::kAnd, std::move(left), std::move(right));
      } else {
        i_ = save;
        return left;
      }
    }
  }

  Result<std::unique_ptr<Node>> Not(unsigned cols) {
    ASSIGN_OR_RETURN(auto left, Primary(cols));
    while (Keyword("NOT")) {
      ASSIGN_OR_RETURN(auto right, Primary(cols));
      left = Join(Node::kNot, std::move(left), std::move(right));
    }
    return left;
  }

  Result<std::unique_ptr<Node>> Primary(unsigned cols) {
    Skip();
    if (i_ >= s_.size()) return Error("the query ends where a word was expected");
    char c = s_[i_];
    if (c == '(') {
      ++i_;
      ASSIGN_OR_RETURN(auto inner, Or(cols));
      Skip();
      if (i_ >= s_.size() || s_[i_] != ')') return Error("unbalanced parentheses");
      ++i_;
      return inner;
    }
    if (c == '{') {
      ASSIGN_OR_RETURN(unsigned filter, ColumnFilter());
      return Primary(cols & filter);
    }
    if (c == '"') return Quoted(cols);
    // A bare word, or a bare column name before ':'.
    size_t start = i_;
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_' ||
                              static_cast<unsigned char>(s_[i_]) >= 0x80)) {
      ++i_;
    }
    if (start == i_) return Error("unexpected '" + std::string(1, c) + "'");
    std::string word = s_.substr(start, i_ - start);
    if (word == "AND" || word == "OR" || word == "NOT") return Error("'" + word + "' where a word was expected");
    Skip();
    if (i_ < s_.size() && s_[i_] == ':') {
      ++i_;
      ASSIGN_OR_RETURN(unsigned filter, ColumnMask(word));
      return Primary(cols & filter);
    }
    return Word(std::move(word), cols);
  }

  Result<std::unique_ptr<Node>> Quoted(unsigned cols) {
    ++i_;  // the opening quote
    std::string word;
    while (true) {
      if (i_ >= s_.size()) return Error("unterminated string");
      if (s_[i_] == '"') {
        if (i_ + 1 < s_.size() && s_[i_ + 1] == '"') {  // "" is a quote inside
          word.push_back('"');
          i_ += 2;
          continue;
        }
        ++i_;
        break;
      }
      word.push_back(s_[i_++]);
    }
    return Word(std::move(word), cols);
  }

  Result<std::unique_ptr<Node>> Word(std::string word, unsigned cols) {
    auto node = std::make_unique<Node>();
    node->word = std::move(word);
    node->columns = cols;
    if (i_ < s_.size() && s_[i_] == '*') {
      node->prefix = true;
      ++i_;
    }
    return node;
  }

  Result<unsigned> ColumnFilter() {
    ++i_;  // '{'
    unsigned mask = 0;
    while (true) {
      Skip();
      if (i_ >= s_.size()) return Error("unterminated column filter");
      if (s_[i_] == '}') {
        ++i_;
        break;
      }
      size_t start = i_;
      while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_')) ++i_;
      if (start == i_) return Error("bad column filter");
      ASSIGN_OR_RETURN(unsigned one, ColumnMask(s_.substr(start, i_ - start)));
      mask |= one;
    }
    Skip();
    if (i_ >= s_.size() || s_[i_] != ':') return Error("a column filter needs ':'");
    ++i_;
    return mask;
  }

  static Result<unsigned> ColumnMask(const std::string& name) {
    for (int c = 0; c < kTextColumnCount; ++c) {
      if (name == kTextColumns[c]) return 1u << c;
    }
    return Error("no such column: " + name);
  }

  static std::unique_ptr<Node> Join(Node::Kind kind, std::unique_ptr<Node> l, std::unique_ptr<Node> r) {
    auto node = std::make_unique<Node>();
    node->kind = kind;
    node->left = std::move(l);
    node->right = std::move(r);
    return node;
  }

  const std::string& s_;
  size_t i_ = 0;
};

// A word as a tsquery lexeme: quoted, with '' and \\ escaped.
std::string Lexeme(const Node& n) {
  std::string out = "'";
  for (char c : n.word) {
    if (c == '\'' || c == '\\') out.push_back(c);
    out.push_back(c);
  }
  out += "'";
  if (n.prefix) out += ":*";
  return out;
}

bool HasFilters(const Node& n, unsigned allowed) {
  if (n.kind == Node::kWord) return (n.columns & allowed) != allowed;
  return HasFilters(*n.left, allowed) || HasFilters(*n.right, allowed);
}

class Writer {
 public:
  Writer(TextQuery& q, int first_param, unsigned allowed) : q_(q), next_(first_param + 1), allowed_(allowed) {}

  // The prefilter: a superset of the matches.
  std::string Prefilter(const Node& n) {
    switch (n.kind) {
      case Node::kWord: return Lexeme(n);
      case Node::kAnd: return "(" + Prefilter(*n.left) + " & " + Prefilter(*n.right) + ")";
      case Node::kOr: return "(" + Prefilter(*n.left) + " | " + Prefilter(*n.right) + ")";
      case Node::kNot: return Prefilter(*n.left);
    }
    return "";
  }

  // The prefilter when it is exact (no column filters): NOT included.
  std::string Whole(const Node& n) {
    switch (n.kind) {
      case Node::kWord: return Lexeme(n);
      case Node::kAnd: return "(" + Whole(*n.left) + " & " + Whole(*n.right) + ")";
      case Node::kOr: return "(" + Whole(*n.left) + " | " + Whole(*n.right) + ")";
      case Node::kNot: return "(" + Whole(*n.left) + " & !" + Whole(*n.right) + ")";
    }
    return "";
  }

  // The exact expression over the column vectors.
  std::string Exact(const Node& n) {
    switch (n.kind) {
      case Node::kWord: {
        const int param = AddWord(n);
        std::string any;
        for (int c = 0; c < kTextColumnCount; ++c) {
          if (!(n.columns & allowed_ & (1u << c))) continue;
          any += (any.empty() ? "" : " OR ") + std::string("d.tsv_") + kTextColumns[c] +
                 " @@ to_tsquery('spaceport_text', $" + std::to_string(param) + ")";
        }
        return any.empty() ? "false" : "(" + any + ")";
      }
      case Node::kAnd: return "(" + Exact(*n.left) + " AND " + Exact(*n.right) + ")";
      case Node::kOr: return "(" + Exact(*n.left) + " OR " + Exact(*n.right) + ")";
      case Node::kNot: return "(" + Exact(*n.left) + " AND NOT " + Exact(*n.right) + ")";
    }
    return "";
  }

  // Every word, for relevance (already added when Exact ran).
  void Words(const Node& n) {
    if (n.kind == Node::kWord) {
      AddWord(n);
      return;
    }
    Words(*n.left);
    Words(*n.right);
  }

 private:
  int AddWord(const Node& n) {
    q_.params.push_back(Lexeme(n));
    q_.words.push_back({next_, n.columns & allowed_});
    return next_++;
  }

  TextQuery& q_;
  int next_;
  unsigned allowed_;
};

}  // namespace

Result<TextQuery> TranslateTextQuery(const std::string& expression, int first_param, unsigned allowed_columns) {
  Parser parser(expression);
  ASSIGN_OR_RETURN(std::unique_ptr<Node> root, parser.Parse());
  TextQuery q;
  Writer writer(q, first_param, allowed_columns);
  const bool filtered = HasFilters(*root, allowed_columns);
  q.params.push_back(filtered ? writer.Prefilter(*root) : writer.Whole(*root));
  if (filtered) {
    q.exact = writer.Exact(*root);
  } else {
    writer.Words(*root);
  }
  q.prefilter = q.params.front();
  return q;
}

}  // namespace spaceport::store::postgres
